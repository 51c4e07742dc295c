/**
 * Turning zod issues, whole-document rules and config rules into manifest
 * problems that name the file, the key and what is expected.
 */
import type * as z from "zod";
import { LATTICE_CONFIG_DEFAULTS, parseThreshold } from "./assemble.js";
import type { ConfigProblem, ManifestProblem } from "./errors.js";
import { allowedKeys } from "./manifestSchema.js";
import { isOrganism, ROLE_NAMES, ROLES, roleSpec, type RoleName } from "./organisms.js";
import { describeValue } from "./validate.js";

export function keyOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function tomlTypeName(v: unknown): string {
  if (v === undefined) return "nothing (the key is missing)";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Date) return "a date";
  if (typeof v === "bigint") return `the integer ${v}`;
  if (typeof v === "object" && v !== null) return "a table";
  return `${typeof v} ${describeValue(v)}`;
}

export function issueToProblems(file: string, raw: unknown, issue: z.core.$ZodIssue): ManifestProblem[] {
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
export function crossChecks(file: string, raw: unknown, problems: ManifestProblem[], warnings: ManifestProblem[]): void {
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
        `expected tdx = true because this host runs ${tdxRoles.join(" and ")} (TDX required; the tool fails closed), found ${host["tdx"] === undefined ? "no tdx key" : `tdx = ${describeValue(host["tdx"])}`}; set tdx = true on a TDX host, or insecure_dev = true in [lattice] for a devnet`,
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

  const windowMs = valueAt(raw, ["organisms", "offer", "auction_window_ms"]) ?? LATTICE_CONFIG_DEFAULTS.offerWindowMs;
  const slotMs = lattice?.["slot_duration_ms"] ?? LATTICE_CONFIG_DEFAULTS.slotDurationMs;
  if (typeof windowMs === "number" && typeof slotMs === "number" && windowMs >= slotMs) {
    const defaulted = valueAt(raw, ["organisms", "offer", "auction_window_ms"]) === undefined;
    add("organisms.offer.auction_window_ms", `expected less than the slot duration (${slotMs} ms), found ${windowMs}${defaulted ? " (the default; set auction_window_ms below slot_duration_ms)" : ""}`);
  }
}

function checkThresholdOption(add: (k: string, m: string) => void, key: string, v: unknown, members: number, role: RoleName): void {
  if (typeof v !== "number" || !Number.isInteger(v) || members === 0) return;
  if (2 * v <= members || v > members) add(key, `expected more than half and at most the ${members} ${role} processes (${Math.floor(members / 2) + 1}..${members}), found ${v}`);
}


const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Maps a LatticeConfig field path (e.g. "zipnet.window.foldDeadlineMs") to the manifest key an operator edits. */
export function configProblemToManifest(file: string, p: ConfigProblem): ManifestProblem {
  const [head = "", second = "", ...rest] = p.field.split(".");
  const lattice: Record<string, string> = { name: "lattice.name", chainId: "lattice.chain_id", insecureDev: "lattice.insecure_dev" };
  if (head in lattice) return { path: file, key: lattice[head]!, message: p.message };
  if (head === "slot") return { path: file, key: `lattice.${second === "durationMs" ? "slot_duration_ms" : "genesis_unix_ms"}`, message: p.message };
  if (head === "zipnet" && second === "window") return { path: file, key: "organisms.zipnet.window", message: rest.length > 0 ? `${rest.join(".")}: ${p.message}` : p.message };
  if (head === "unseal" && (second === "t" || second === "n")) return { path: file, key: "organisms.unseal.threshold", message: `${second}: ${p.message}` };
  if (second === "committeeSize" || (head === "atelier" && second === "n")) return { path: file, key: "hosts", message: `${head} committee size (${head}-member count): ${p.message}` };
  if (isOrganism(head)) return { path: file, key: [`organisms.${head}.${snake(second)}`, ...rest].join("."), message: p.message };
  return { path: file, key: "", message: `${p.field}: ${p.message}` };
}

export function dedupe(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.key}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

