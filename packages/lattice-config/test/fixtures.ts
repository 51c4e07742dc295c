import fc from "fast-check";
import {
  BLOCK_SCHEMAS,
  LATTICE_CONFIG_VERSION,
  RELAY_POLICIES,
  type LatticeConfig,
  type ZipnetWindow,
} from "../src/index.js";

const fill = (len: number, start: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (start + i) & 0xff);

/** A fixed config exercising every field (optional ones present), for golden vectors. */
export function goldenConfig(): LatticeConfig {
  return {
    version: LATTICE_CONFIG_VERSION,
    name: "acme.ethereum.mainnet",
    chainId: 1n,
    slot: { genesisUnixMs: 1_606_824_023_000, durationMs: 12_000 },
    insecureDev: false,
    zipnet: { window: "interactive", initSalt: fill(32, 0x10), servers: 3, datumBytes: 1024, maxEnvelopesPerClientPerSlot: 8 },
    unseal: { t: 5, n: 7, dkgEpochSlots: 32, mrtdAcl: [fill(48, 0x40)] },
    offer: { committeeSize: 3, threshold: 2, auctionWindowMs: 800, maxBidBytes: 131_072 },
    atelier: {
      n: 3,
      threshold: 2,
      blockSchema: "l1-post-4844",
      chainRpc: "https://eth.example/rpc",
      blsPublicKeys: [fill(48, 0x80), fill(48, 0x90), fill(48, 0xa0)],
      mrtdAcl: [fill(48, 0x50), fill(48, 0x60)],
      imageMrtd: fill(48, 0x50),
    },
    relay: { policy: "l1-mev-boost", proposerEndpoints: ["https://relay-a.example", "https://relay-b.example"], committeeSize: 3, builderPublicKey: fill(48, 0xb0) },
    tally: {
      committeeSize: 3,
      threshold: 2,
      ecdsaAddresses: [fill(20, 0xc0), fill(20, 0xd0), fill(20, 0xe0)],
      settlementAddr: fill(20, 0xf0),
      chainRpc: "https://eth.example/rpc",
      confirmationDepth: 2,
    },
  };
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const distinctBytes = (n: number, min: number, max: number) =>
  fc.uniqueArray(bytes(n), { minLength: min, maxLength: max, selector: (b) => Buffer.from(b).toString("hex") });
const majorityOf = (n: number) => fc.integer({ min: Math.floor(n / 2) + 1, max: n });
const rpc = fc.oneof(fc.constant(""), fc.webUrl({ validSchemes: ["http", "https"] }).filter((u) => u.length <= 1024 && canParse(u)));
const endpoint = fc.webUrl({ validSchemes: ["http", "https"] }).filter((u) => u.length <= 1024 && canParse(u));

function canParse(u: string): boolean {
  try {
    new URL(u);
    return true;
  } catch {
    return false;
  }
}

const windowArb: fc.Arbitrary<ZipnetWindow> = fc.oneof(
  fc.constantFrom("interactive" as const, "archival" as const),
  fc
    .record({ roundPeriodMs: fc.integer({ min: 2, max: 0xffff_ffff }), maxParticipants: fc.integer({ min: 1, max: 4096 }) })
    .chain(({ roundPeriodMs, maxParticipants }) =>
      fc.integer({ min: 2, max: roundPeriodMs }).chain((roundDeadlineMs) =>
        fc.record({
          roundPeriodMs: fc.constant(roundPeriodMs),
          minParticipants: fc.integer({ min: 1, max: maxParticipants }),
          maxParticipants: fc.constant(maxParticipants),
          foldDeadlineMs: fc.integer({ min: 1, max: roundDeadlineMs - 1 }),
          roundDeadlineMs: fc.constant(roundDeadlineMs),
        }),
      ),
    ),
);

/** Arbitrary valid LatticeConfigs (every constraint of latticeConfigProblems respected). */
export const latticeConfigArb: fc.Arbitrary<LatticeConfig> = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/),
    chainId: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
    genesisUnixMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    durationMs: fc.integer({ min: 2, max: 0xffff_ffff }),
    insecureDev: fc.boolean(),
    unsealN: fc.integer({ min: 3, max: 7 }),
    offerN: fc.integer({ min: 3, max: 5 }),
    atelierN: fc.integer({ min: 3, max: 7 }),
    relayN: fc.integer({ min: 3, max: 5 }),
    tallyN: fc.integer({ min: 3, max: 5 }),
  })
  .chain((b) =>
    fc.record({
      version: fc.constant(LATTICE_CONFIG_VERSION),
      name: fc.constant(b.name),
      chainId: fc.constant(b.chainId),
      slot: fc.constant({ genesisUnixMs: b.genesisUnixMs, durationMs: b.durationMs }),
      insecureDev: fc.constant(b.insecureDev),
      zipnet: fc.record({
        window: windowArb,
        initSalt: bytes(32),
        servers: fc.integer({ min: 1, max: 16 }),
        datumBytes: fc.integer({ min: 1, max: 65_536 }),
        maxEnvelopesPerClientPerSlot: fc.integer({ min: 1, max: 0xffff }),
      }),
      unseal: fc.record({ t: majorityOf(b.unsealN), n: fc.constant(b.unsealN), dkgEpochSlots: fc.integer({ min: 1, max: 0xffff_ffff }), mrtdAcl: distinctBytes(48, 0, 3) }),
      offer: fc.record({
        committeeSize: fc.constant(b.offerN),
        threshold: majorityOf(b.offerN),
        auctionWindowMs: fc.integer({ min: 1, max: b.durationMs - 1 }),
        maxBidBytes: fc.integer({ min: 1, max: 1 << 20 }),
      }),
      atelier: distinctBytes(48, 0, 3).chain((mrtdAcl) =>
        fc.record({
          n: fc.constant(b.atelierN),
          threshold: majorityOf(b.atelierN),
          blockSchema: fc.constantFrom(...BLOCK_SCHEMAS),
          chainRpc: rpc,
          blsPublicKeys: fc.oneof(fc.constant([] as Uint8Array[]), distinctBytes(48, b.atelierN, b.atelierN)),
          mrtdAcl: fc.constant(mrtdAcl),
          imageMrtd: mrtdAcl.length > 0 ? fc.option(fc.constantFrom(...mrtdAcl), { nil: undefined }) : fc.option(bytes(48), { nil: undefined }),
        }),
      ),
      relay: fc.record({
        policy: fc.constantFrom(...RELAY_POLICIES),
        proposerEndpoints: fc.uniqueArray(endpoint, { minLength: 0, maxLength: 4 }),
        committeeSize: fc.constant(b.relayN),
        builderPublicKey: fc.option(bytes(48), { nil: undefined }),
      }),
      tally: fc.record({
        committeeSize: fc.constant(b.tallyN),
        threshold: majorityOf(b.tallyN),
        ecdsaAddresses: fc.oneof(fc.constant([] as Uint8Array[]), distinctBytes(20, b.tallyN, b.tallyN)),
        settlementAddr: bytes(20).filter((a) => a.some((x) => x !== 0)),
        chainRpc: rpc,
        confirmationDepth: fc.integer({ min: 0, max: 1024 }),
      }),
    }),
  );

export function clone<T>(v: T): T {
  return structuredClone(v);
}
