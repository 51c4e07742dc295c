import { LatticeConfigError, type ConfigProblem } from "./errors.js";
import { bytesEqual, isHex, strip0x, toHex } from "./hex.js";
import { MAX_LATTICE_CONFIG_BYTES } from "./limits.js";
import type { Organism } from "./organisms.js";
import { LatticeSsz, OrganismSsz } from "./ssz.js";
import {
  BLOCK_SCHEMAS,
  LATTICE_CONFIG_VERSION,
  RELAY_POLICIES,
  ZIPNET_WINDOW_PRESETS,
  type LatticeConfig,
  type ZipnetWindow,
  type ZipnetWindowParams,
} from "./types.js";
import { assertValidLatticeConfig, latticeConfigProblems, zipnetWindowParams } from "./validate.js";

/**
 * Layout: [version: u8][body length: u32 LE][SSZ(LatticeSsz) body].
 * The length makes trailing bytes detectable: SSZ alone lets the last
 * variable-size field silently absorb them.
 */
const HEADER_BYTES = 5;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

type LatticeSszValue = ReturnType<typeof LatticeSsz.defaultValue>;

function toSsz(cfg: LatticeConfig): LatticeSszValue {
  const w = zipnetWindowParams(cfg.zipnet.window);
  return {
    name: utf8.encode(cfg.name),
    chainId: cfg.chainId,
    slot: { genesisUnixMs: cfg.slot.genesisUnixMs, durationMs: cfg.slot.durationMs },
    insecureDev: cfg.insecureDev,
    zipnet: {
      roundPeriodMs: w.roundPeriodMs,
      minParticipants: w.minParticipants,
      maxParticipants: w.maxParticipants,
      foldDeadlineMs: w.foldDeadlineMs,
      roundDeadlineMs: w.roundDeadlineMs,
      initSalt: cfg.zipnet.initSalt,
      servers: cfg.zipnet.servers,
      datumBytes: cfg.zipnet.datumBytes,
      maxEnvelopesPerClientPerSlot: cfg.zipnet.maxEnvelopesPerClientPerSlot,
    },
    unseal: { t: cfg.unseal.t, n: cfg.unseal.n, dkgEpochSlots: cfg.unseal.dkgEpochSlots, mrtdAcl: cfg.unseal.mrtdAcl },
    offer: {
      committeeSize: cfg.offer.committeeSize,
      threshold: cfg.offer.threshold,
      auctionWindowMs: cfg.offer.auctionWindowMs,
      maxBidBytes: cfg.offer.maxBidBytes,
    },
    atelier: {
      n: cfg.atelier.n,
      threshold: cfg.atelier.threshold,
      blockSchema: BLOCK_SCHEMAS.indexOf(cfg.atelier.blockSchema),
      chainRpc: utf8.encode(cfg.atelier.chainRpc),
      blsPublicKeys: cfg.atelier.blsPublicKeys,
      mrtdAcl: cfg.atelier.mrtdAcl,
      imageMrtd: cfg.atelier.imageMrtd === undefined ? [] : [cfg.atelier.imageMrtd],
    },
    relay: {
      policy: RELAY_POLICIES.indexOf(cfg.relay.policy),
      proposerEndpoints: cfg.relay.proposerEndpoints.map((e) => utf8.encode(e)),
      committeeSize: cfg.relay.committeeSize,
      builderPublicKey: cfg.relay.builderPublicKey === undefined ? [] : [cfg.relay.builderPublicKey],
    },
    tally: {
      committeeSize: cfg.tally.committeeSize,
      threshold: cfg.tally.threshold,
      ecdsaAddresses: cfg.tally.ecdsaAddresses,
      settlementAddr: cfg.tally.settlementAddr,
      chainRpc: utf8.encode(cfg.tally.chainRpc),
      confirmationDepth: cfg.tally.confirmationDepth,
    },
  };
}

/** A tuple equal to a preset is the preset: the encoding only sees the tuple, so both forms have one fingerprint. */
export function normalizeZipnetWindow(w: ZipnetWindowParams | ZipnetWindow): ZipnetWindow {
  const params = zipnetWindowParams(w);
  for (const [name, preset] of Object.entries(ZIPNET_WINDOW_PRESETS) as [keyof typeof ZIPNET_WINDOW_PRESETS, ZipnetWindowParams][]) {
    if (
      preset.roundPeriodMs === params.roundPeriodMs &&
      preset.minParticipants === params.minParticipants &&
      preset.maxParticipants === params.maxParticipants &&
      preset.foldDeadlineMs === params.foldDeadlineMs &&
      preset.roundDeadlineMs === params.roundDeadlineMs
    ) {
      return name;
    }
  }
  return { ...params };
}

function fromSsz(v: LatticeSszValue, problems: ConfigProblem[]): LatticeConfig {
  const text = (field: string, b: Uint8Array): string => {
    try {
      return utf8Strict.decode(b);
    } catch {
      problems.push({ field, message: `expected UTF-8 text, found invalid bytes 0x${toHex(b.subarray(0, 32))}` });
      return "";
    }
  };
  const blockSchema = BLOCK_SCHEMAS[v.atelier.blockSchema];
  if (blockSchema === undefined) problems.push({ field: "atelier.blockSchema", message: `expected an index below ${BLOCK_SCHEMAS.length} (${BLOCK_SCHEMAS.join(", ")}), found ${v.atelier.blockSchema}` });
  const policy = RELAY_POLICIES[v.relay.policy];
  if (policy === undefined) problems.push({ field: "relay.policy", message: `expected an index below ${RELAY_POLICIES.length} (${RELAY_POLICIES.join(", ")}), found ${v.relay.policy}` });
  const z = v.zipnet;
  return {
    version: LATTICE_CONFIG_VERSION,
    name: text("name", v.name),
    chainId: v.chainId,
    slot: { genesisUnixMs: v.slot.genesisUnixMs, durationMs: v.slot.durationMs },
    insecureDev: v.insecureDev,
    zipnet: {
      window: normalizeZipnetWindow({
        roundPeriodMs: z.roundPeriodMs,
        minParticipants: z.minParticipants,
        maxParticipants: z.maxParticipants,
        foldDeadlineMs: z.foldDeadlineMs,
        roundDeadlineMs: z.roundDeadlineMs,
      }),
      initSalt: z.initSalt,
      servers: z.servers,
      datumBytes: z.datumBytes,
      maxEnvelopesPerClientPerSlot: z.maxEnvelopesPerClientPerSlot,
    },
    unseal: { t: v.unseal.t, n: v.unseal.n, dkgEpochSlots: v.unseal.dkgEpochSlots, mrtdAcl: v.unseal.mrtdAcl },
    offer: { ...v.offer },
    atelier: {
      n: v.atelier.n,
      threshold: v.atelier.threshold,
      blockSchema: blockSchema ?? BLOCK_SCHEMAS[0],
      chainRpc: text("atelier.chainRpc", v.atelier.chainRpc),
      blsPublicKeys: v.atelier.blsPublicKeys,
      mrtdAcl: v.atelier.mrtdAcl,
      imageMrtd: v.atelier.imageMrtd[0],
    },
    relay: {
      policy: policy ?? RELAY_POLICIES[0],
      proposerEndpoints: v.relay.proposerEndpoints.map((e, i) => text(`relay.proposerEndpoints[${i}]`, e)),
      committeeSize: v.relay.committeeSize,
      builderPublicKey: v.relay.builderPublicKey[0],
    },
    tally: {
      committeeSize: v.tally.committeeSize,
      threshold: v.tally.threshold,
      ecdsaAddresses: v.tally.ecdsaAddresses,
      settlementAddr: v.tally.settlementAddr,
      chainRpc: text("tally.chainRpc", v.tally.chainRpc),
      confirmationDepth: v.tally.confirmationDepth,
    },
  };
}

/** The canonical, versioned encoding (validates first: an invalid config has no encoding). */
export function encodeLatticeConfig(cfg: LatticeConfig): Uint8Array {
  assertValidLatticeConfig(cfg);
  const body = LatticeSsz.serialize(toSsz(cfg));
  const out = new Uint8Array(HEADER_BYTES + body.length);
  out[0] = cfg.version;
  new DataView(out.buffer).setUint32(1, body.length, true);
  out.set(body, HEADER_BYTES);
  return out;
}

/**
 * Decodes and validates a canonical encoding. Rejects, each with its own code:
 * empty or oversize input, unknown versions, truncation, trailing bytes,
 * malformed SSZ, semantically invalid values and non-canonical encodings.
 */
export function decodeLatticeConfig(bytes: Uint8Array): LatticeConfig {
  if (!(bytes instanceof Uint8Array)) {
    throw new LatticeConfigError("LATTICE_CONFIG_MALFORMED", `expected the encoded LatticeConfig as a Uint8Array, found ${typeof bytes}`);
  }
  if (bytes.length === 0) throw new LatticeConfigError("LATTICE_CONFIG_EMPTY", "expected an encoded LatticeConfig, found 0 bytes");
  if (bytes.length > MAX_LATTICE_CONFIG_BYTES) {
    throw new LatticeConfigError("LATTICE_CONFIG_TOO_LARGE", `encoded LatticeConfig is ${bytes.length} bytes; the maximum is ${MAX_LATTICE_CONFIG_BYTES}`);
  }
  const version = bytes[0]!;
  if (version !== LATTICE_CONFIG_VERSION) {
    throw new LatticeConfigError(
      "LATTICE_CONFIG_UNKNOWN_VERSION",
      `unknown LatticeConfig encoding version ${version} (first byte 0x${version.toString(16).padStart(2, "0")}); this build understands version ${LATTICE_CONFIG_VERSION} — upgrade the binary or regenerate the config`,
    );
  }
  if (bytes.length < HEADER_BYTES) {
    throw new LatticeConfigError("LATTICE_CONFIG_TRUNCATED", `encoded LatticeConfig is ${bytes.length} bytes; expected at least the ${HEADER_BYTES}-byte header`);
  }
  const bodyLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1, true);
  const actual = bytes.length - HEADER_BYTES;
  if (actual < bodyLen) {
    throw new LatticeConfigError("LATTICE_CONFIG_TRUNCATED", `encoded LatticeConfig is truncated: header announces a ${bodyLen}-byte body, found ${actual} bytes`);
  }
  if (actual > bodyLen) {
    throw new LatticeConfigError("LATTICE_CONFIG_TRAILING_BYTES", `encoded LatticeConfig has ${actual - bodyLen} trailing byte(s) after the ${bodyLen}-byte body announced by the header`);
  }
  const body = bytes.subarray(HEADER_BYTES);
  let value: LatticeSszValue;
  try {
    value = LatticeSsz.deserialize(body);
  } catch (cause) {
    throw new LatticeConfigError("LATTICE_CONFIG_MALFORMED", `encoded LatticeConfig body is not a valid version-${version} SSZ container: ${(cause as Error).message}`, [], { cause });
  }
  const problems: ConfigProblem[] = [];
  const cfg = fromSsz(value, problems);
  problems.push(...latticeConfigProblems(cfg));
  if (problems.length > 0) {
    throw new LatticeConfigError("LATTICE_CONFIG_INVALID", `encoded LatticeConfig decodes to an invalid config (${problems.length} problem(s)):`, problems);
  }
  // SSZ has one encoding per value; anything else (e.g. padding tricks) would give one config two latticeIds.
  if (!bytesEqual(LatticeSsz.serialize(toSsz(cfg)), body)) {
    throw new LatticeConfigError("LATTICE_CONFIG_NON_CANONICAL", "encoded LatticeConfig is not in canonical form; re-encode it with encodeLatticeConfig");
  }
  return cfg;
}

/** Lowercase hex of the canonical encoding, without 0x: the LATTICE_CONFIG_HEX value. */
export function latticeConfigToHex(cfg: LatticeConfig): string {
  return toHex(encodeLatticeConfig(cfg));
}

/** Parses LATTICE_CONFIG_HEX (optional 0x, surrounding whitespace ignored, e.g. a file's final newline). */
export function latticeConfigFromHex(hex: string): LatticeConfig {
  if (typeof hex !== "string") throw new LatticeConfigError("LATTICE_CONFIG_BAD_HEX", `expected LATTICE_CONFIG_HEX as a string, found ${typeof hex}`);
  const trimmed = hex.trim();
  if (strip0x(trimmed).length > 2 * MAX_LATTICE_CONFIG_BYTES) {
    throw new LatticeConfigError("LATTICE_CONFIG_TOO_LARGE", `LATTICE_CONFIG_HEX is ${strip0x(trimmed).length} hex characters; the maximum is ${2 * MAX_LATTICE_CONFIG_BYTES} (${MAX_LATTICE_CONFIG_BYTES} bytes)`);
  }
  if (!isHex(trimmed)) {
    const bad = strip0x(trimmed).search(/[^0-9a-fA-F]/);
    const why = bad >= 0 ? `non-hex character ${JSON.stringify(strip0x(trimmed)[bad])} at position ${bad}` : "an odd number of hex digits";
    throw new LatticeConfigError("LATTICE_CONFIG_BAD_HEX", `expected LATTICE_CONFIG_HEX as hex (optional 0x), found ${why}`);
  }
  return decodeLatticeConfig(new Uint8Array(Buffer.from(strip0x(trimmed), "hex")));
}

/** The bytes an organism's GroupId hashes: [version][SSZ{slot, insecureDev, organism section}]. */
export function encodeOrganismConfig(cfg: LatticeConfig, organism: Organism): Uint8Array {
  assertValidLatticeConfig(cfg);
  const v = toSsz(cfg);
  const shared = { slot: v.slot, insecureDev: v.insecureDev };
  let body: Uint8Array;
  switch (organism) {
    case "zipnet": body = OrganismSsz.zipnet.serialize({ ...shared, config: v.zipnet }); break;
    case "unseal": body = OrganismSsz.unseal.serialize({ ...shared, config: v.unseal }); break;
    case "offer": body = OrganismSsz.offer.serialize({ ...shared, config: v.offer }); break;
    case "atelier": body = OrganismSsz.atelier.serialize({ ...shared, config: v.atelier }); break;
    case "relay": body = OrganismSsz.relay.serialize({ ...shared, config: v.relay }); break;
    case "tally": body = OrganismSsz.tally.serialize({ ...shared, config: v.tally }); break;
    default: throw new LatticeConfigError("LATTICE_CONFIG_BAD_OPTION", `unknown organism ${JSON.stringify(organism)}; expected one of zipnet, unseal, offer, atelier, relay, tally`);
  }
  const out = new Uint8Array(1 + body.length);
  out[0] = cfg.version;
  out.set(body, 1);
  return out;
}
