/**
 * The operator manifest `lattice.toml` (seed quickstart): parsed with
 * smol-toml, checked structurally with zod (strict: unknown keys are errors)
 * and then against the role table. One run reports every problem.
 */
import { parse as parseToml, TomlError } from "smol-toml";
import * as z from "zod";
import { checkChecksumAddress } from "./address.js";
import { assembleLatticeConfig, LATTICE_CONFIG_DEFAULTS, parseThreshold, parseZipnetWindow, type LatticeConfigInput } from "./assemble.js";
import { ManifestError, type ManifestProblem } from "./errors.js";
import { LIMITS } from "./limits.js";
import { ROLE_NAMES, ROLES, roleSpec, type RoleName } from "./organisms.js";
import { BLOCK_SCHEMAS, RELAY_POLICIES, type LatticeConfig, type RelayPolicy, type BlockSchema, type ZipnetWindow } from "./types.js";
import { describe, LATTICE_NAME_RE } from "./validate.js";

/** Manifests are small; a larger file is a mistake (or an attack on the parser). */
export const MAX_MANIFEST_BYTES = 256 * 1024;

const HEX48_RE = /^(0x)?[0-9a-fA-F]{96}$/;
const HEX32_RE = /^(0x)?[0-9a-fA-F]{64}$/;
const SSH_RE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?$/;
const MEMBER_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const httpUrl = (what: string) =>
  z.string().refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === "http:" || u.protocol === "https:" || (what === "rpc" && (u.protocol === "ws:" || u.protocol === "wss:"));
    } catch {
      return false;
    }
  }, what === "rpc" ? "expected an absolute http(s) or ws(s) URL" : "expected an absolute http(s) URL");

const uint = (max: number) => z.int().min(1).max(max);
const address = z.string().superRefine((s, ctx) => {
  const r = checkChecksumAddress(s);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
});
const mrtd = z.string().regex(HEX48_RE, "expected a 48-byte MR_TD as 96 hex characters (optional 0x)");
const threshold = z.string().superRefine((s, ctx) => {
  const r = parseThreshold(s);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
  else if (r.value.n < roleSpec("unseal-member").minProcesses || r.value.n > roleSpec("unseal-member").maxProcesses) {
    ctx.addIssue({ code: "custom", message: `expected n between 3 and 7 (the role table's unseal-member range), found n = ${r.value.n} in "${s}"` });
  }
});
const windowSchema = z.union([z.string(), z.array(z.int().nonnegative())]).superRefine((v, ctx) => {
  const r = parseZipnetWindow(v);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
});

const ManifestSchema = z.strictObject({
  lattice: z.strictObject({
    name: z.string().max(LIMITS.nameBytes).regex(LATTICE_NAME_RE, 'expected letters, digits, ".", "_" or "-" starting with a letter or digit, e.g. "acme.ethereum.mainnet"'),
    chain_id: z.union([z.int().positive(), z.bigint().positive().max((1n << 64n) - 1n)]),
    slot_duration_ms: uint(0xffff_ffff).optional(),
    genesis_unix_ms: z.int().nonnegative().optional(),
    insecure_dev: z.boolean().optional(),
  }),
  organisms: z
    .strictObject({
      zipnet: z.strictObject({ window: windowSchema.optional(), init_salt: z.string().regex(HEX32_RE, "expected 32 bytes as 64 hex characters (optional 0x)").optional(), max_envelopes_per_client_per_slot: uint(0xffff).optional() }).optional(),
      unseal: z.strictObject({ threshold: threshold.optional(), dkg_epoch_slots: uint(0xffff_ffff).optional(), mrtd_acl: z.array(mrtd).max(LIMITS.mrtdAcl).optional() }).optional(),
      offer: z.strictObject({ auction_window_ms: uint(0xffff_ffff).optional(), threshold: uint(255).optional(), max_bid_bytes: uint(1 << 20).optional() }).optional(),
      atelier: z
        .strictObject({
          block_schema: z.enum(BLOCK_SCHEMAS).optional(),
          chain_rpc: httpUrl("rpc").optional(),
          image_mrtd: mrtd.optional(),
          mrtd_acl: z.array(mrtd).max(LIMITS.mrtdAcl).optional(),
          threshold: uint(255).optional(),
        })
        .optional(),
      relay: z.strictObject({ policy: z.enum(RELAY_POLICIES).optional(), proposer_endpoints: z.array(httpUrl("endpoint")).min(1).max(LIMITS.proposerEndpoints) }).optional(),
      tally: z.strictObject({ settlement_addr: address, chain_rpc: httpUrl("rpc").optional(), confirmation_depth: z.int().min(0).max(1024).optional(), threshold: uint(255).optional() }).optional(),
    })
    .optional(),
  hosts: z
    .array(
      z.strictObject({
        ssh: z.string().regex(SSH_RE, 'expected an SSH target "user@host" or "user@host:port"').optional(),
        local: z.literal(true, 'expected local = true (omit the key for ssh hosts)').optional(),
        name: z.string().regex(MEMBER_RE, "expected a member name of letters, digits, '.', '_' or '-' (at most 64)").optional(),
        tdx: z.boolean().optional(),
        roles: z.array(z.enum(ROLE_NAMES)).min(1),
      }),
    )
    .min(1),
});

type RawManifest = z.infer<typeof ManifestSchema>;

export type HostTarget = { kind: "ssh"; user: string; host: string; port?: number } | { kind: "local" };

export interface ManifestHost {
  /** Position in [[hosts]] (for messages and member names). */
  index: number;
  target: HostTarget;
  /** Optional member name; default `host-<index>`. */
  name: string;
  tdx: boolean;
  roles: RoleName[];
}

export interface Manifest {
  /** The file the manifest came from (used in every error). */
  path: string;
  lattice: { name: string; chainId: bigint; slotDurationMs?: number; genesisUnixMs?: number; insecureDev: boolean };
  organisms: {
    zipnet: { window: ZipnetWindow; initSalt?: string; maxEnvelopesPerClientPerSlot?: number };
    unseal: { t: number; n: number; dkgEpochSlots?: number; mrtdAcl: string[] };
    offer: { auctionWindowMs: number; threshold?: number; maxBidBytes?: number };
    atelier: { blockSchema: BlockSchema; chainRpc?: string; imageMrtd?: string; mrtdAcl: string[]; threshold?: number };
    relay: { policy: RelayPolicy; proposerEndpoints: string[] };
    tally: { settlementAddr: string; chainRpc?: string; confirmationDepth?: number; threshold?: number };
  };
  hosts: ManifestHost[];
  /** Processes per role across all hosts. */
  roleCounts: Record<RoleName, number>;
  /** Things that parse but deserve the operator's attention (e.g. fewer unseal members than t). */
  warnings: ManifestProblem[];
}

function keyOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/** The keys a strict table at `path` allows, found by walking the schema (so messages list them without a second copy). */
function allowedKeys(path: readonly PropertyKey[]): string[] {
  let s: any = ManifestSchema;
  for (const seg of path) {
    while (s?.def?.type === "optional" || s?.def?.type === "default") s = s.def.innerType;
    if (typeof seg === "number") s = s?.def?.element;
    else s = s?.def?.shape?.[seg];
  }
  while (s?.def?.type === "optional" || s?.def?.type === "default") s = s.def.innerType;
  return s?.def?.shape ? Object.keys(s.def.shape) : [];
}

function tomlTypeName(v: unknown): string {
  if (v === undefined) return "nothing (the key is missing)";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Date) return "a date";
  if (typeof v === "bigint") return `the integer ${v}`;
  if (typeof v === "object" && v !== null) return "a table";
  return `${typeof v} ${describe(v)}`;
}

function issueToProblems(file: string, raw: unknown, issue: z.core.$ZodIssue): ManifestProblem[] {
  const path = issue.path;
  if (issue.code === "unrecognized_keys") {
    const table = keyOf(path);
    const allowed = allowedKeys(path);
    return issue.keys.map((k) => ({
      path: file,
      key: table === "" ? k : `${table}.${k}`,
      message: `unknown key ${JSON.stringify(k)}${table === "" ? " at the top level" : ` in [${table}]`}; expected one of: ${allowed.join(", ")}`,
    }));
  }
  const found = valueAt(raw, path);
  let message: string;
  switch (issue.code) {
    case "invalid_type":
      // Every number in the manifest is an integer, so "number" reads better as "an integer".
      message = `expected ${issue.expected === "int" || issue.expected === "number" ? "an integer" : issue.expected === "array" ? "an array" : issue.expected === "object" ? "a table" : `a ${issue.expected}`}, found ${tomlTypeName(found)}`;
      break;
    case "invalid_value":
      message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, found ${tomlTypeName(found)}`;
      break;
    case "too_small":
      message = issue.origin === "array" ? `expected at least ${String(issue.minimum)} entr${issue.minimum === 1 ? "y" : "ies"}, found ${tomlTypeName(found)}` : `expected ${issue.inclusive ? "at least" : "more than"} ${String(issue.minimum)}, found ${tomlTypeName(found)}`;
      break;
    case "too_big":
      message = issue.origin === "array" ? `expected at most ${String(issue.maximum)} entries, found ${tomlTypeName(found)}` : `expected ${issue.origin === "string" ? "a string of" : ""} at most ${String(issue.maximum)}${issue.origin === "string" ? " characters" : ""}, found ${tomlTypeName(found)}`;
      break;
    case "invalid_union":
      message = `expected ${keyOf(path).endsWith("chain_id") ? "a positive integer chain id below 2^64" : "a value of another type"}, found ${tomlTypeName(found)}`;
      break;
    default:
      message = issue.code === "custom" || issue.code === "invalid_format" ? `${issue.message}${issue.code === "invalid_format" ? `, found ${tomlTypeName(found)}` : ""}` : `${issue.message} (found ${tomlTypeName(found)})`;
  }
  return [{ path: file, key: keyOf(path), message }];
}

/** Checks that need the whole document: role counts, TDX, hosts, threshold vs members. Defensive: runs on unvalidated input. */
function crossChecks(file: string, raw: unknown, problems: ManifestProblem[], warnings: ManifestProblem[]): void {
  const add = (key: string, message: string): void => {
    problems.push({ path: file, key, message });
  };
  const lattice = valueAt(raw, ["lattice"]) as Record<string, unknown> | undefined;
  const insecureDev = lattice?.["insecure_dev"] === true;
  const hosts = valueAt(raw, ["hosts"]);
  if (!Array.isArray(hosts)) return;

  const counts = new Map<RoleName, { count: number; where: string[] }>(ROLE_NAMES.map((r) => [r, { count: 0, where: [] }]));
  const sshTargets = new Map<string, number>();
  const names = new Map<string, number>();
  hosts.forEach((h: unknown, i) => {
    if (h === null || typeof h !== "object") return;
    const host = h as Record<string, unknown>;
    const hasSsh = host["ssh"] !== undefined;
    const isLocal = host["local"] === true;
    if (hasSsh && isLocal) add(`hosts[${i}]`, "expected either ssh = \"user@host\" or local = true, found both");
    if (!hasSsh && !isLocal) add(`hosts[${i}]`, "expected ssh = \"user@host\" or local = true, found neither");
    if (typeof host["ssh"] === "string") {
      const prev = sshTargets.get(host["ssh"]);
      if (prev !== undefined) add(`hosts[${i}].ssh`, `expected each ssh target once (merge the roles into one [[hosts]] entry), found ${JSON.stringify(host["ssh"])} again after hosts[${prev}]`);
      else sshTargets.set(host["ssh"], i);
    }
    if (typeof host["name"] === "string") {
      const prev = names.get(host["name"]);
      if (prev !== undefined) add(`hosts[${i}].name`, `expected distinct host names, found ${JSON.stringify(host["name"])} again after hosts[${prev}]`);
      else names.set(host["name"], i);
    }
    const roles = host["roles"];
    if (!Array.isArray(roles)) return;
    const seen = new Set<string>();
    const tdxRoles: string[] = [];
    roles.forEach((r: unknown, j) => {
      if (typeof r !== "string" || !(ROLE_NAMES as readonly string[]).includes(r)) return;
      if (seen.has(r)) {
        add(`hosts[${i}].roles[${j}]`, `expected each role at most once per host, found ${JSON.stringify(r)} twice`);
        return;
      }
      seen.add(r);
      const c = counts.get(r as RoleName)!;
      c.count++;
      c.where.push(`hosts[${i}].roles[${j}]`);
      if (roleSpec(r as RoleName).tdxRequired) tdxRoles.push(r);
    });
    // Fail closed: a TDX role on a host not declared TDX is refused unless the lattice is explicitly insecure-dev.
    if (tdxRoles.length > 0 && host["tdx"] !== true && !insecureDev) {
      add(
        `hosts[${i}].tdx`,
        `expected tdx = true because this host runs ${tdxRoles.join(" and ")} (TDX required; the tool fails closed), found ${host["tdx"] === undefined ? "no tdx key" : `tdx = ${describe(host["tdx"])}`}; set tdx = true on a TDX host, or insecure_dev = true in [lattice] for a devnet`,
      );
    }
  });

  for (const spec of ROLES) {
    const c = counts.get(spec.name)!;
    if (c.count < spec.minProcesses) {
      add("hosts", `expected at least ${spec.minProcesses} ${spec.name} process${spec.minProcesses === 1 ? "" : "es"} (role table: ${spec.minProcesses === spec.maxProcesses ? spec.minProcesses : `${spec.minProcesses}–${spec.maxProcesses}`}), found ${c.count}`);
    } else if (c.count > spec.maxProcesses) {
      const first = c.where[spec.maxProcesses]!;
      const limit = spec.maxProcesses === 1 ? `at most one ${spec.name}` : `at most ${spec.maxProcesses} ${spec.name} processes`;
      add(first, `expected ${limit} (role table), found ${c.count}`);
    }
  }

  const thr = valueAt(raw, ["organisms", "unseal", "threshold"]);
  const unsealCount = counts.get("unseal-member")!.count;
  if (typeof thr === "string") {
    const r = parseThreshold(thr);
    if (r.ok && unsealCount > r.value.n) {
      add("organisms.unseal.threshold", `expected n to be at least the number of unseal-member processes (each holds one of the n shares), found n = ${r.value.n} with ${unsealCount} unseal-member processes`);
    } else if (r.ok && unsealCount < r.value.t && unsealCount > 0) {
      warnings.push({ path: file, key: "organisms.unseal.threshold", message: `threshold ${thr} needs ${r.value.t} unseal members but the manifest runs ${unsealCount}: slots cannot be unsealed until ${r.value.t - unsealCount} more join` });
    }
  }

  const relay = valueAt(raw, ["organisms", "relay"]);
  if (relay === undefined) add("organisms.relay", "expected an [organisms.relay] table with proposer_endpoints (at least one), found none");
  const tally = valueAt(raw, ["organisms", "tally"]);
  if (tally === undefined) add("organisms.tally", "expected an [organisms.tally] table with settlement_addr, found none");

  const offerThr = valueAt(raw, ["organisms", "offer", "threshold"]);
  checkThresholdOption(add, "organisms.offer.threshold", offerThr, counts.get("offer-member")!.count, "offer-member");
  checkThresholdOption(add, "organisms.atelier.threshold", valueAt(raw, ["organisms", "atelier", "threshold"]), counts.get("atelier-member")!.count, "atelier-member");
  checkThresholdOption(add, "organisms.tally.threshold", valueAt(raw, ["organisms", "tally", "threshold"]), counts.get("tally-member")!.count, "tally-member");

  const windowMs = valueAt(raw, ["organisms", "offer", "auction_window_ms"]);
  const slotMs = lattice?.["slot_duration_ms"] ?? LATTICE_CONFIG_DEFAULTS.slotDurationMs;
  if (typeof windowMs === "number" && typeof slotMs === "number" && windowMs >= slotMs) {
    add("organisms.offer.auction_window_ms", `expected less than the slot duration (${slotMs} ms), found ${windowMs}`);
  }
}

function checkThresholdOption(add: (k: string, m: string) => void, key: string, v: unknown, members: number, role: RoleName): void {
  if (typeof v !== "number" || !Number.isInteger(v) || members === 0) return;
  if (2 * v <= members || v > members) add(key, `expected more than half and at most the ${members} ${role} processes (${Math.floor(members / 2) + 1}..${members}), found ${v}`);
}

/**
 * Parses and validates a manifest. Throws ManifestError (MANIFEST_SYNTAX for
 * TOML errors, MANIFEST_INVALID otherwise) whose `problems` list every issue.
 */
export function parseManifest(text: string, options: { path: string }): Manifest {
  const file = options.path;
  const size = Buffer.byteLength(text, "utf8");
  if (size > MAX_MANIFEST_BYTES) {
    throw new ManifestError("MANIFEST_INVALID", file, [{ path: file, key: "", message: `expected a manifest of at most ${MAX_MANIFEST_BYTES} bytes, found ${size}` }]);
  }
  let raw: unknown;
  try {
    raw = parseToml(text, { integersAsBigInt: "asNeeded" });
  } catch (cause) {
    const where = cause instanceof TomlError ? ` at line ${cause.line}, column ${cause.column}` : "";
    const first = (cause as Error).message.split("\n")[0];
    throw new ManifestError("MANIFEST_SYNTAX", file, [{ path: file, key: "", message: `expected valid TOML${where}: ${first}` }], { cause });
  }
  const problems: ManifestProblem[] = [];
  const warnings: ManifestProblem[] = [];
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(...issueToProblems(file, raw, issue));
  crossChecks(file, raw, problems, warnings);
  if (problems.length > 0 || !parsed.success) {
    throw new ManifestError("MANIFEST_INVALID", file, dedupe(problems));
  }
  return toManifest(file, parsed.data, warnings);
}

function dedupe(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.key}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function toManifest(file: string, m: RawManifest, warnings: ManifestProblem[]): Manifest {
  const roleCounts = Object.fromEntries(ROLE_NAMES.map((r) => [r, 0])) as Record<RoleName, number>;
  const hosts: ManifestHost[] = m.hosts.map((h, index) => {
    for (const r of h.roles) roleCounts[r]++;
    let target: HostTarget = { kind: "local" };
    if (h.ssh !== undefined) {
      const [user, rest] = h.ssh.split("@") as [string, string];
      const [host, port] = rest.split(":") as [string, string | undefined];
      target = port === undefined ? { kind: "ssh", user, host } : { kind: "ssh", user, host, port: Number(port) };
    }
    return { index, target, name: h.name ?? `host-${index}`, tdx: h.tdx ?? false, roles: [...h.roles] };
  });
  const o = m.organisms ?? {};
  const thr = o.unseal?.threshold === undefined ? undefined : parseThreshold(o.unseal.threshold);
  const unsealN = roleCounts["unseal-member"];
  const window = parseZipnetWindow(o.zipnet?.window ?? LATTICE_CONFIG_DEFAULTS.zipnetWindow);
  const lattice: Manifest["lattice"] = {
    name: m.lattice.name,
    chainId: BigInt(m.lattice.chain_id),
    insecureDev: m.lattice.insecure_dev ?? false,
  };
  if (m.lattice.slot_duration_ms !== undefined) lattice.slotDurationMs = m.lattice.slot_duration_ms;
  if (m.lattice.genesis_unix_ms !== undefined) lattice.genesisUnixMs = m.lattice.genesis_unix_ms;
  return {
    path: file,
    lattice,
    organisms: {
      zipnet: stripUndefined({ window: (window as { ok: true; value: ZipnetWindow }).value, initSalt: o.zipnet?.init_salt, maxEnvelopesPerClientPerSlot: o.zipnet?.max_envelopes_per_client_per_slot }),
      // Without a threshold string, n is the member count and t its majority.
      unseal: stripUndefined({ t: thr?.ok ? thr.value.t : Math.floor(unsealN / 2) + 1, n: thr?.ok ? thr.value.n : unsealN, dkgEpochSlots: o.unseal?.dkg_epoch_slots, mrtdAcl: o.unseal?.mrtd_acl ?? [] }),
      offer: stripUndefined({ auctionWindowMs: o.offer?.auction_window_ms ?? LATTICE_CONFIG_DEFAULTS.offerWindowMs, threshold: o.offer?.threshold, maxBidBytes: o.offer?.max_bid_bytes }),
      atelier: stripUndefined({ blockSchema: o.atelier?.block_schema ?? LATTICE_CONFIG_DEFAULTS.blockSchema, chainRpc: o.atelier?.chain_rpc, imageMrtd: o.atelier?.image_mrtd, mrtdAcl: o.atelier?.mrtd_acl ?? [], threshold: o.atelier?.threshold }),
      relay: { policy: o.relay?.policy ?? LATTICE_CONFIG_DEFAULTS.relayPolicy, proposerEndpoints: o.relay?.proposer_endpoints ?? [] },
      tally: stripUndefined({ settlementAddr: o.tally!.settlement_addr, chainRpc: o.tally?.chain_rpc, confirmationDepth: o.tally?.confirmation_depth, threshold: o.tally?.threshold }),
    },
    hosts,
    roleCounts,
    warnings,
  };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Material generated after validation (keys, images) that the manifest does not hold. */
export interface ManifestExtras {
  atelierBlsPublicKeys?: (Uint8Array | string)[];
  tallyEcdsaAddresses?: (Uint8Array | string)[];
  relayBuilderPublicKey?: Uint8Array | string;
  unsealMrtdAcl?: (Uint8Array | string)[];
  atelierImageMrtd?: Uint8Array | string;
  /** Overrides [lattice] genesis_unix_ms (e.g. the devnet's start time). */
  slotGenesisUnixMs?: number;
}

/**
 * The LatticeConfig a manifest describes: committee sizes are the role counts
 * of [[hosts]]; everything else comes from [organisms.*] and the defaults.
 */
export function manifestToLatticeConfig(manifest: Manifest, extras: ManifestExtras = {}): LatticeConfig {
  const o = manifest.organisms;
  const c = manifest.roleCounts;
  const input: LatticeConfigInput = {
    name: manifest.lattice.name,
    chainId: manifest.lattice.chainId,
    zipnetWindow: typeof o.zipnet.window === "string" ? o.zipnet.window : o.zipnet.window,
    unsealThreshold: { t: o.unseal.t, n: o.unseal.n },
    unsealMrtdAcl: [...o.unseal.mrtdAcl, ...(extras.unsealMrtdAcl ?? [])],
    offerCommitteeSize: c["offer-member"],
    offerWindow: o.offer.auctionWindowMs,
    atelierCommitteeSize: c["atelier-member"],
    atelierMrtdAcl: o.atelier.mrtdAcl,
    blockSchema: o.atelier.blockSchema,
    relayPolicy: o.relay.policy,
    proposerEndpoints: o.relay.proposerEndpoints,
    relayCommitteeSize: c["relay-member"],
    tallySettlementAddr: o.tally.settlementAddr,
    tallyCommitteeSize: c["tally-member"],
    insecureDev: manifest.lattice.insecureDev,
  };
  const set = <K extends keyof LatticeConfigInput>(k: K, v: LatticeConfigInput[K] | undefined): void => {
    if (v !== undefined) input[k] = v;
  };
  set("zipnetInitSalt", o.zipnet.initSalt);
  set("zipnetMaxEnvelopesPerClientPerSlot", o.zipnet.maxEnvelopesPerClientPerSlot);
  set("unsealDkgEpochSlots", o.unseal.dkgEpochSlots);
  set("offerThreshold", o.offer.threshold);
  set("offerMaxBidBytes", o.offer.maxBidBytes);
  set("atelierThreshold", o.atelier.threshold);
  set("atelierImageMrtd", extras.atelierImageMrtd ?? o.atelier.imageMrtd);
  set("atelierChainRpc", o.atelier.chainRpc);
  set("atelierBlsPublicKeys", extras.atelierBlsPublicKeys);
  set("relayBuilderPublicKey", extras.relayBuilderPublicKey);
  set("tallyThreshold", o.tally.threshold);
  set("tallyEcdsaAddresses", extras.tallyEcdsaAddresses);
  set("tallyChainRpc", o.tally.chainRpc);
  set("confirmationDepth", o.tally.confirmationDepth);
  set("slotDurationMs", manifest.lattice.slotDurationMs);
  set("slotGenesisUnixMs", extras.slotGenesisUnixMs ?? manifest.lattice.genesisUnixMs);
  return assembleLatticeConfig(input);
}
