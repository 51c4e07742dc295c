import { LatticeConfigError, type ConfigProblem } from "./errors.js";
import { LIMITS } from "./limits.js";
import { roleSpec, type RoleName } from "./organisms.js";
import {
  BLOCK_SCHEMAS,
  LATTICE_CONFIG_VERSION,
  RELAY_POLICIES,
  ZIPNET_WINDOW_PRESETS,
  type LatticeConfig,
  type ZipnetWindow,
  type ZipnetWindowParams,
} from "./types.js";
import { bytesEqual, toHex } from "./hex.js";

const utf8 = new TextEncoder();
const UINT16 = 0xffff;
const UINT32 = 0xffff_ffff;
const UINT64 = (1n << 64n) - 1n;

/** Names end up in file paths (secrets/<name>/, data dirs) and metric labels: keep them to a safe alphabet. */
export const LATTICE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Resolves a preset name to its tuple; explicit tuples pass through. */
export function zipnetWindowParams(window: ZipnetWindow): ZipnetWindowParams {
  return typeof window === "string" ? { ...ZIPNET_WINDOW_PRESETS[window] } : window;
}

class Problems {
  readonly list: ConfigProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  int(field: string, v: unknown, min: number, max: number, hint = ""): boolean {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.add(field, `expected an integer in [${min}, ${max}]${hint}, found ${describeValue(v)}`);
      return false;
    }
    return true;
  }
  bytes(field: string, v: unknown, len: number): boolean {
    if (!(v instanceof Uint8Array) || v.length !== len) {
      this.add(field, `expected ${len} bytes, found ${v instanceof Uint8Array ? `${v.length} bytes` : describeValue(v)}`);
      return false;
    }
    return true;
  }
  byteList(field: string, v: unknown, itemLen: number, maxItems: number, exactCount?: number): void {
    if (!Array.isArray(v)) {
      this.add(field, `expected an array of ${itemLen}-byte values, found ${describeValue(v)}`);
      return;
    }
    if (v.length > maxItems) this.add(field, `expected at most ${maxItems} entries, found ${v.length}`);
    if (exactCount !== undefined && v.length !== 0 && v.length !== exactCount) {
      this.add(field, `expected either no entries (not pinned yet) or exactly ${exactCount} (one per member), found ${v.length}`);
    }
    v.forEach((item: unknown, i) => this.bytes(`${field}[${i}]`, item, itemLen));
    const seen = new Set<string>();
    v.forEach((item: unknown, i) => {
      if (!(item instanceof Uint8Array)) return;
      const h = toHex(item);
      if (seen.has(h)) this.add(`${field}[${i}]`, `duplicate entry 0x${h}; entries must be distinct`);
      seen.add(h);
    });
  }
  text(field: string, v: unknown, maxBytes: number): v is string {
    if (typeof v !== "string") {
      this.add(field, `expected a string, found ${describeValue(v)}`);
      return false;
    }
    const n = utf8.encode(v).length;
    if (n > maxBytes) {
      this.add(field, `expected at most ${maxBytes} UTF-8 bytes, found ${n}`);
      return false;
    }
    return true;
  }
  url(field: string, v: unknown, schemes: readonly string[], allowEmpty = false): void {
    if (!this.text(field, v, LIMITS.urlBytes)) return;
    if (allowEmpty && v === "") return;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      this.add(field, `expected an absolute URL (${schemes.join(", ")}), found ${describeValue(v)}`);
      return;
    }
    if (!schemes.includes(u.protocol)) this.add(field, `expected a ${schemes.join(" or ")} URL, found scheme ${JSON.stringify(u.protocol)}`);
  }
  committee(field: string, v: unknown, role: RoleName): boolean {
    const spec = roleSpec(role);
    return this.int(field, v, spec.minProcesses, spec.maxProcesses, ` (the role table's ${role} range)`);
  }
  threshold(field: string, t: unknown, n: unknown, what: string): void {
    if (typeof n !== "number" || !Number.isInteger(n)) return;
    const min = Math.floor(n / 2) + 1;
    this.int(field, t, min, n, ` (${what}: more than half of ${n} and at most ${n})`);
  }
}

export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** Every semantic problem of a config (empty when valid). Never throws, whatever the input's shape. */
export function latticeConfigProblems(cfg: LatticeConfig): ConfigProblem[] {
  const p = new Problems();
  const c = (cfg ?? {}) as Partial<LatticeConfig>;
  if (c.version !== LATTICE_CONFIG_VERSION) p.add("version", `expected ${LATTICE_CONFIG_VERSION}, found ${describeValue(c.version)}`);
  if (p.text("name", c.name, LIMITS.nameBytes) && !LATTICE_NAME_RE.test(c.name)) {
    p.add("name", `expected letters, digits, '.', '_' or '-' starting with a letter or digit (e.g. "acme.ethereum.mainnet"), found ${describeValue(c.name)}`);
  }
  if (typeof c.chainId !== "bigint" || c.chainId < 1n || c.chainId > UINT64) p.add("chainId", `expected a bigint in [1, 2^64-1], found ${describeValue(c.chainId)}`);
  if (typeof c.insecureDev !== "boolean") p.add("insecureDev", `expected a boolean, found ${describeValue(c.insecureDev)}`);

  const slot = (c.slot ?? {}) as Partial<LatticeConfig["slot"]>;
  p.int("slot.genesisUnixMs", slot.genesisUnixMs, 0, Number.MAX_SAFE_INTEGER);
  const slotOk = p.int("slot.durationMs", slot.durationMs, 1, UINT32);

  const z = (c.zipnet ?? {}) as Partial<LatticeConfig["zipnet"]>;
  if (typeof z.window === "string") {
    if (!(z.window in ZIPNET_WINDOW_PRESETS)) p.add("zipnet.window", `expected "interactive", "archival" or an explicit tuple, found ${describeValue(z.window)}`);
  } else if (typeof z.window === "object" && z.window !== null) {
    const w = z.window;
    p.int("zipnet.window.roundPeriodMs", w.roundPeriodMs, 1, UINT32);
    const minOk = p.int("zipnet.window.minParticipants", w.minParticipants, 1, UINT16);
    const maxOk = p.int("zipnet.window.maxParticipants", w.maxParticipants, 1, 4096);
    if (minOk && maxOk && w.minParticipants > w.maxParticipants) {
      p.add("zipnet.window.minParticipants", `expected at most maxParticipants (${w.maxParticipants}), found ${w.minParticipants}`);
    }
    const foldOk = p.int("zipnet.window.foldDeadlineMs", w.foldDeadlineMs, 1, UINT32);
    const roundOk = p.int("zipnet.window.roundDeadlineMs", w.roundDeadlineMs, 1, UINT32);
    // The aggregate must exist before servers can unblind it, and a round must end before the next opens.
    if (foldOk && roundOk && w.foldDeadlineMs >= w.roundDeadlineMs) {
      p.add("zipnet.window.foldDeadlineMs", `expected less than roundDeadlineMs (${w.roundDeadlineMs}), found ${w.foldDeadlineMs}`);
    }
    if (roundOk && typeof w.roundPeriodMs === "number" && w.roundDeadlineMs > w.roundPeriodMs) {
      p.add("zipnet.window.roundDeadlineMs", `expected at most roundPeriodMs (${w.roundPeriodMs}), found ${w.roundDeadlineMs}`);
    }
  } else {
    p.add("zipnet.window", `expected "interactive", "archival" or an explicit tuple, found ${describeValue(z.window)}`);
  }
  p.bytes("zipnet.initSalt", z.initSalt, LIMITS.saltBytes);
  p.int("zipnet.servers", z.servers, 1, 16);
  p.int("zipnet.datumBytes", z.datumBytes, 1, 65_536);
  p.int("zipnet.maxEnvelopesPerClientPerSlot", z.maxEnvelopesPerClientPerSlot, 1, UINT16);

  const u = (c.unseal ?? {}) as Partial<LatticeConfig["unseal"]>;
  if (p.committee("unseal.n", u.n, "unseal-member")) p.threshold("unseal.t", u.t, u.n, "threshold t-of-n");
  p.int("unseal.dkgEpochSlots", u.dkgEpochSlots, 1, UINT32);
  p.byteList("unseal.mrtdAcl", u.mrtdAcl, LIMITS.mrtdBytes, LIMITS.mrtdAcl);

  const o = (c.offer ?? {}) as Partial<LatticeConfig["offer"]>;
  if (p.committee("offer.committeeSize", o.committeeSize, "offer-member")) p.threshold("offer.threshold", o.threshold, o.committeeSize, "key shares");
  if (p.int("offer.auctionWindowMs", o.auctionWindowMs, 1, UINT32) && slotOk && o.auctionWindowMs! >= slot.durationMs!) {
    p.add("offer.auctionWindowMs", `expected less than slot.durationMs (${slot.durationMs}), found ${o.auctionWindowMs}`);
  }
  p.int("offer.maxBidBytes", o.maxBidBytes, 1, 1 << 20);

  const a = (c.atelier ?? {}) as Partial<LatticeConfig["atelier"]>;
  const aOk = p.committee("atelier.n", a.n, "atelier-member");
  if (aOk) p.threshold("atelier.threshold", a.threshold, a.n, "matching signatures");
  if (!(BLOCK_SCHEMAS as readonly unknown[]).includes(a.blockSchema)) p.add("atelier.blockSchema", `expected one of ${BLOCK_SCHEMAS.join(", ")}, found ${describeValue(a.blockSchema)}`);
  p.url("atelier.chainRpc", a.chainRpc, ["http:", "https:", "ws:", "wss:"], true);
  p.byteList("atelier.blsPublicKeys", a.blsPublicKeys, LIMITS.blsPublicKeyBytes, LIMITS.rosterKeys, aOk ? a.n : undefined);
  p.byteList("atelier.mrtdAcl", a.mrtdAcl, LIMITS.mrtdBytes, LIMITS.mrtdAcl);
  if (a.imageMrtd !== undefined && p.bytes("atelier.imageMrtd", a.imageMrtd, LIMITS.mrtdBytes)) {
    const acl = Array.isArray(a.mrtdAcl) ? a.mrtdAcl : [];
    if (acl.length > 0 && !acl.some((m) => m instanceof Uint8Array && bytesEqual(m, a.imageMrtd!))) {
      p.add("atelier.imageMrtd", `expected the reference image's MR_TD to be listed in atelier.mrtdAcl, but 0x${toHex(a.imageMrtd)} is not`);
    }
  }

  const r = (c.relay ?? {}) as Partial<LatticeConfig["relay"]>;
  if (!(RELAY_POLICIES as readonly unknown[]).includes(r.policy)) p.add("relay.policy", `expected one of ${RELAY_POLICIES.join(", ")}, found ${describeValue(r.policy)}`);
  // Empty is allowed: the seed's `gen-config` has no endpoint flag; the manifest requires at least one.
  if (!Array.isArray(r.proposerEndpoints) || r.proposerEndpoints.length > LIMITS.proposerEndpoints) {
    p.add("relay.proposerEndpoints", `expected at most ${LIMITS.proposerEndpoints} http(s) URLs, found ${describeValue(r.proposerEndpoints)}`);
  }
  if (Array.isArray(r.proposerEndpoints)) {
    r.proposerEndpoints.forEach((e: unknown, i) => p.url(`relay.proposerEndpoints[${i}]`, e, ["http:", "https:"]));
    if (new Set(r.proposerEndpoints).size !== r.proposerEndpoints.length) p.add("relay.proposerEndpoints", "expected distinct endpoints, found a duplicate");
  }
  p.committee("relay.committeeSize", r.committeeSize, "relay-member");
  if (r.builderPublicKey !== undefined) p.bytes("relay.builderPublicKey", r.builderPublicKey, LIMITS.blsPublicKeyBytes);

  const t = (c.tally ?? {}) as Partial<LatticeConfig["tally"]>;
  const tOk = p.committee("tally.committeeSize", t.committeeSize, "tally-member");
  if (tOk) p.threshold("tally.threshold", t.threshold, t.committeeSize, "attestations per claim");
  p.byteList("tally.ecdsaAddresses", t.ecdsaAddresses, LIMITS.addressBytes, LIMITS.rosterKeys, tOk ? t.committeeSize : undefined);
  if (p.bytes("tally.settlementAddr", t.settlementAddr, LIMITS.addressBytes) && t.settlementAddr!.every((b) => b === 0)) {
    p.add("tally.settlementAddr", "expected the settlement contract's address, found the zero address");
  }
  p.url("tally.chainRpc", t.chainRpc, ["http:", "https:", "ws:", "wss:"], true);
  p.int("tally.confirmationDepth", t.confirmationDepth, 0, 1024);

  return p.list;
}

/** Throws LATTICE_CONFIG_INVALID listing every problem. */
export function assertValidLatticeConfig(cfg: LatticeConfig, what = "LatticeConfig"): void {
  const problems = latticeConfigProblems(cfg);
  if (problems.length > 0) {
    throw new LatticeConfigError("LATTICE_CONFIG_INVALID", `${what} is invalid (${problems.length} problem(s)):`, problems);
  }
}
