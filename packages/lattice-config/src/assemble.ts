import { checkChecksumAddress } from "./address.js";
import { LatticeConfigError, type ConfigProblem } from "./errors.js";
import { tryFromHex } from "./hex.js";
import { derive, latticeRoot } from "./ids.js";
import { LIMITS } from "./limits.js";
import {
  BLOCK_SCHEMAS,
  LATTICE_CONFIG_VERSION,
  RELAY_POLICIES,
  type BlockSchema,
  type LatticeConfig,
  type RelayPolicy,
  type ZipnetWindow,
  type ZipnetWindowParams,
} from "./types.js";
import { assertValidLatticeConfig, describeValue } from "./validate.js";
import { parseDurationMs, parseThreshold, parseZipnetWindow } from "./optionParsers.js";

export { parseDurationMs, parseThreshold, parseZipnetWindow, type Parsed } from "./optionParsers.js";

/**
 * Defaults applied by `assembleLatticeConfig` (hence by `builder gen-config`
 * and by the manifest). Each is documented in the package README.
 */
export const LATTICE_CONFIG_DEFAULTS = {
  zipnetWindow: "interactive",
  zipnetServers: 3,
  /** A sealed EIP-2718 transaction (Tx2718) padded to 1024 bytes. */
  zipnetDatumBytes: 1024,
  zipnetMaxEnvelopesPerClientPerSlot: 8,
  /** The reference minimum layout runs 3 TDX hosts; t must exceed n/2. */
  unsealThreshold: "2-of-3",
  /** One Ethereum epoch of slot keys per DKG batch. */
  unsealDkgEpochSlots: 32,
  offerCommitteeSize: 3,
  offerWindowMs: 800,
  offerMaxBidBytes: 128 * 1024,
  atelierCommitteeSize: 3,
  blockSchema: "l1-post-4844",
  relayPolicy: "l1-mev-boost",
  relayCommitteeSize: 3,
  tallyCommitteeSize: 3,
  confirmationDepth: 2,
  slotDurationMs: 12_000,
  insecureDev: false,
} as const;

/**
 * Beacon-chain genesis times (the chains' `genesis_time`, in ms), used as the
 * default slot genesis for known chain ids; any other chain defaults to 0.
 */
export const KNOWN_SLOT_GENESIS_UNIX_MS: Readonly<Record<string, number>> = {
  "1": 1_606_824_023_000, // Ethereum mainnet
  "11155111": 1_655_733_600_000, // Sepolia
  "17000": 1_695_902_400_000, // Holesky
};

type Bytes = Uint8Array | string;

/** Flat options, as given by `builder gen-config` flags or a manifest. Only name, chainId and tallySettlementAddr are required. */
export interface LatticeConfigInput {
  /** The instance name; `instance` is accepted as an alias (the CLI's `--instance`). */
  name?: string;
  instance?: string;
  chainId: bigint | number | string;
  /** "interactive" | "archival" | "period,min,max,fold,deadline" (ms, ms) | explicit params. */
  zipnetWindow?: string | ZipnetWindowParams;
  /** 32 bytes (hex or bytes); default derive(latticeRoot, "zipnet.init-salt") so gen-config is reproducible. */
  zipnetInitSalt?: Bytes;
  zipnetServers?: number;
  zipnetDatumBytes?: number;
  zipnetMaxEnvelopesPerClientPerSlot?: number;
  /** "t-of-n", e.g. "5-of-7", or {t, n}. */
  unsealThreshold?: string | { t: number; n: number };
  unsealDkgEpochSlots?: number;
  unsealMrtdAcl?: Bytes[];
  offerCommitteeSize?: number;
  /** Default: majority of offerCommitteeSize. */
  offerThreshold?: number;
  /** "800ms", "1.5s" or a number of ms. */
  offerWindow?: string | number;
  offerMaxBidBytes?: number;
  atelierCommitteeSize?: number;
  /** Default: majority of atelierCommitteeSize. */
  atelierThreshold?: number;
  /** 48-byte MR_TD of the reference image; added to atelierMrtdAcl when that does not list it. */
  atelierImageMrtd?: Bytes;
  atelierMrtdAcl?: Bytes[];
  atelierBlsPublicKeys?: Bytes[];
  /** Default: chainRpc. */
  atelierChainRpc?: string;
  blockSchema?: string;
  relayPolicy?: string;
  proposerEndpoints?: string[] | string;
  relayCommitteeSize?: number;
  relayBuilderPublicKey?: Bytes;
  /** EIP-55 checksummed address (or 20 bytes). */
  tallySettlementAddr: Bytes;
  tallyCommitteeSize?: number;
  /** Default: majority of tallyCommitteeSize. */
  tallyThreshold?: number;
  /** EIP-55 checksummed addresses (or 20 bytes each). */
  tallyEcdsaAddresses?: Bytes[];
  /** Default: chainRpc. */
  tallyChainRpc?: string;
  confirmationDepth?: number;
  /** The chain RPC for atelier and tally when theirs are not given; default "" (not pinned). */
  chainRpc?: string;
  /** Default: the chain's beacon genesis for known ids (KNOWN_SLOT_GENESIS_UNIX_MS), else 0. */
  slotGenesisUnixMs?: number;
  slotDurationMs?: number;
  insecureDev?: boolean;
}

function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * Builds a LatticeConfig from flat options and LATTICE_CONFIG_DEFAULTS. Reports
 * every bad option at once (LATTICE_CONFIG_BAD_OPTION), then validates the
 * result (LATTICE_CONFIG_INVALID).
 */
export function assembleLatticeConfig(input: LatticeConfigInput): LatticeConfig {
  const problems: ConfigProblem[] = [];
  const bad = (field: string, message: string): void => {
    problems.push({ field, message });
  };
  const D = LATTICE_CONFIG_DEFAULTS;

  const name = input.name ?? input.instance;
  if (input.name !== undefined && input.instance !== undefined && input.name !== input.instance) {
    bad("instance", `name and instance are aliases but differ: ${JSON.stringify(input.name)} vs ${JSON.stringify(input.instance)}`);
  }
  if (typeof name !== "string" || name === "") bad("name", `expected the instance name (e.g. "acme.ethereum.mainnet"), found ${describeValue(name)}`);

  let chainId = 0n;
  if (typeof input.chainId === "bigint") chainId = input.chainId;
  else if (typeof input.chainId === "number" && Number.isSafeInteger(input.chainId)) chainId = BigInt(input.chainId);
  else if (typeof input.chainId === "string" && /^\d{1,20}$/.test(input.chainId.trim())) chainId = BigInt(input.chainId.trim());
  else bad("chainId", `expected a decimal chain id (e.g. 1), found ${describeValue(input.chainId)}`);

  const bytes = (field: string, v: Bytes | undefined, len: number): Uint8Array | undefined => {
    if (v === undefined) return undefined;
    const b = typeof v === "string" ? tryFromHex(v.trim()) : v;
    if (!(b instanceof Uint8Array) || b.length !== len) {
      bad(field, `expected ${len} bytes as ${2 * len} hex characters (optional 0x), found ${describeValue(v)}`);
      return undefined;
    }
    return b;
  };
  const byteList = (field: string, v: Bytes[] | undefined, len: number): Uint8Array[] =>
    (v ?? []).map((x, i) => bytes(`${field}[${i}]`, x, len)).filter((x): x is Uint8Array => x !== undefined);
  const address = (field: string, v: Bytes): Uint8Array | undefined => {
    if (v instanceof Uint8Array) return bytes(field, v, LIMITS.addressBytes);
    const r = checkChecksumAddress(typeof v === "string" ? v.trim() : v);
    if (!r.ok) {
      bad(field, r.message);
      return undefined;
    }
    return r.bytes;
  };

  const windowIn = input.zipnetWindow ?? D.zipnetWindow;
  const w = parseZipnetWindow(windowIn);
  if (!w.ok) bad("zipnetWindow", w.message);

  const thrIn = input.unsealThreshold ?? D.unsealThreshold;
  let thr = { t: 0, n: 0 };
  if (typeof thrIn === "string") {
    const r = parseThreshold(thrIn);
    if (r.ok) thr = r.value;
    else bad("unsealThreshold", r.message);
  } else thr = thrIn;

  let offerWindowMs: number = D.offerWindowMs;
  if (input.offerWindow !== undefined) {
    const r = parseDurationMs(input.offerWindow);
    if (r.ok) offerWindowMs = r.value;
    else bad("offerWindow", r.message);
  }

  const blockSchema = input.blockSchema ?? D.blockSchema;
  if (!(BLOCK_SCHEMAS as readonly string[]).includes(blockSchema)) bad("blockSchema", `expected one of ${BLOCK_SCHEMAS.join(", ")}, found ${describeValue(blockSchema)}`);
  const relayPolicy = input.relayPolicy ?? D.relayPolicy;
  if (!(RELAY_POLICIES as readonly string[]).includes(relayPolicy)) bad("relayPolicy", `expected one of ${RELAY_POLICIES.join(", ")}, found ${describeValue(relayPolicy)}`);

  const endpoints =
    typeof input.proposerEndpoints === "string"
      ? input.proposerEndpoints.split(",").map((s) => s.trim()).filter((s) => s !== "")
      : [...(input.proposerEndpoints ?? [])];

  const settlementAddr = input.tallySettlementAddr === undefined ? (bad("tallySettlementAddr", "expected the settlement contract's EIP-55 address, found nothing"), undefined) : address("tallySettlementAddr", input.tallySettlementAddr);
  const ecdsaAddresses = (input.tallyEcdsaAddresses ?? []).map((a, i) => address(`tallyEcdsaAddresses[${i}]`, a)).filter((x): x is Uint8Array => x !== undefined);

  const imageMrtd = bytes("atelierImageMrtd", input.atelierImageMrtd, LIMITS.mrtdBytes);
  const atelierAcl = byteList("atelierMrtdAcl", input.atelierMrtdAcl, LIMITS.mrtdBytes);
  if (imageMrtd !== undefined && !atelierAcl.some((m) => Buffer.from(m).equals(imageMrtd))) atelierAcl.unshift(imageMrtd);

  const initSalt = bytes("zipnetInitSalt", input.zipnetInitSalt, LIMITS.saltBytes);
  const relayBuilderPublicKey = bytes("relayBuilderPublicKey", input.relayBuilderPublicKey, LIMITS.blsPublicKeyBytes);

  if (problems.length > 0) throw new LatticeConfigError("LATTICE_CONFIG_BAD_OPTION", `cannot assemble a LatticeConfig (${problems.length} bad option(s)):`, problems);

  const atelierN = input.atelierCommitteeSize ?? D.atelierCommitteeSize;
  const offerN = input.offerCommitteeSize ?? D.offerCommitteeSize;
  const tallyN = input.tallyCommitteeSize ?? D.tallyCommitteeSize;
  const chainRpc = input.chainRpc ?? "";
  const cfg: LatticeConfig = {
    version: LATTICE_CONFIG_VERSION,
    name: name!,
    chainId,
    slot: {
      genesisUnixMs: input.slotGenesisUnixMs ?? KNOWN_SLOT_GENESIS_UNIX_MS[chainId.toString()] ?? 0,
      durationMs: input.slotDurationMs ?? D.slotDurationMs,
    },
    insecureDev: input.insecureDev ?? D.insecureDev,
    zipnet: {
      window: (w as { ok: true; value: ZipnetWindow }).value,
      initSalt: initSalt ?? derive(latticeRoot(name!, chainId), "zipnet.init-salt"),
      servers: input.zipnetServers ?? D.zipnetServers,
      datumBytes: input.zipnetDatumBytes ?? D.zipnetDatumBytes,
      maxEnvelopesPerClientPerSlot: input.zipnetMaxEnvelopesPerClientPerSlot ?? D.zipnetMaxEnvelopesPerClientPerSlot,
    },
    unseal: {
      t: thr.t,
      n: thr.n,
      dkgEpochSlots: input.unsealDkgEpochSlots ?? D.unsealDkgEpochSlots,
      mrtdAcl: byteList("unsealMrtdAcl", input.unsealMrtdAcl, LIMITS.mrtdBytes),
    },
    offer: {
      committeeSize: offerN,
      threshold: input.offerThreshold ?? majority(offerN),
      auctionWindowMs: offerWindowMs,
      maxBidBytes: input.offerMaxBidBytes ?? D.offerMaxBidBytes,
    },
    atelier: {
      n: atelierN,
      threshold: input.atelierThreshold ?? majority(atelierN),
      blockSchema: blockSchema as BlockSchema,
      chainRpc: input.atelierChainRpc ?? chainRpc,
      blsPublicKeys: byteList("atelierBlsPublicKeys", input.atelierBlsPublicKeys, LIMITS.blsPublicKeyBytes),
      mrtdAcl: atelierAcl,
      imageMrtd,
    },
    relay: {
      policy: relayPolicy as RelayPolicy,
      proposerEndpoints: endpoints,
      committeeSize: input.relayCommitteeSize ?? D.relayCommitteeSize,
      builderPublicKey: relayBuilderPublicKey,
    },
    tally: {
      committeeSize: tallyN,
      threshold: input.tallyThreshold ?? majority(tallyN),
      ecdsaAddresses,
      settlementAddr: settlementAddr!,
      chainRpc: input.tallyChainRpc ?? chainRpc,
      confirmationDepth: input.confirmationDepth ?? D.confirmationDepth,
    },
  };
  if (problems.length > 0) throw new LatticeConfigError("LATTICE_CONFIG_BAD_OPTION", `cannot assemble a LatticeConfig (${problems.length} bad option(s)):`, problems);
  assertValidLatticeConfig(cfg, `LatticeConfig assembled for ${JSON.stringify(name)}`);
  return cfg;
}
