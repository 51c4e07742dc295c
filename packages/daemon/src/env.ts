import { promises as fs } from "node:fs";
import { hostname } from "node:os";
import {
  type CommonRoleEnv,
  type LatticeConfig,
  type LogLevel,
  type Organism,
  type RoleEnvMap,
  type RoleName,
  type UniqueId,
  RoleEnvError,
  groupId,
  idToHex,
  latticeConfigFromHex,
  latticeId,
  parseRoleEnv,
} from "@builder/lattice-config";
import { DaemonError } from "./errors.js";
import type { ListenAddr } from "./listenAddr.js";
import type { Secret } from "./secret.js";
import { readSecretFile } from "./secretFile.js";

/** The secrets a role holds, loaded from the `*_SECRET_FILE` variables. */
export interface DaemonSecrets {
  /** `<ORG>_COMMITTEE_SECRET_FILE`: committee admission. */
  readonly committee: Secret;
  /** `<ORG>_SECRET_FILE`: this member's peer identity (Ed25519 seed). */
  readonly peer: Secret;
  /** ATELIER_BLS_SECRET_FILE (member key) or RELAY_BLS_SECRET_FILE (the lattice's builder key). */
  readonly bls?: Secret;
  /** TALLY_ECDSA_SECRET_FILE: this member's attestation key. */
  readonly ecdsa?: Secret;
}

export interface DaemonEnv {
  readonly role: RoleName;
  readonly organism: Organism;
  readonly config: LatticeConfig;
  readonly configHex: string;
  readonly latticeId: UniqueId;
  readonly latticeIdHex: string;
  /** GroupId of this role's organism: derive(ORG_ROOT, hex(blake3(encode(orgConfig)))). */
  readonly groupId: UniqueId;
  readonly groupIdHex: string;
  /** LATTICE_MEMBER, or the host name when unset (one process per role per host in the seed layout). */
  readonly member: string;
  /** Created with mode 0700 before the role starts. */
  readonly dataDir: string;
  /** Undefined when PROMETHEUS_ADDR is unset: no HTTP endpoints are served. */
  readonly prometheusAddr: ListenAddr | undefined;
  readonly logLevel: LogLevel;
  readonly bootstrap: readonly string[];
  readonly universe: UniqueId;
  /** ATELIER_CHAIN_RPC / TALLY_CHAIN_RPC (or the config's pinned RPC) for the roles that read the chain. */
  readonly chainRpc: string | undefined;
  readonly secrets: DaemonSecrets;
  /** Everything parseRoleEnv returned, for role-specific fields. */
  readonly roleEnv: RoleEnvMap[RoleName];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Phrases an instance or chain-id mismatch with both values, the way an
 * operator reads it ("LATTICE_INSTANCE is 'x' but LATTICE_CONFIG_HEX encodes
 * name 'y'"). Undefined when the config hex does not decode (that problem is
 * reported on its own).
 */
function mismatchMessages(env: Env): Map<string, string> {
  const out = new Map<string, string>();
  const hex = env["LATTICE_CONFIG_HEX"]?.trim();
  if (!hex) return out;
  let cfg: LatticeConfig;
  try {
    cfg = latticeConfigFromHex(hex);
  } catch {
    return out;
  }
  const instance = env["LATTICE_INSTANCE"]?.trim();
  if (instance && instance !== cfg.name) out.set("LATTICE_INSTANCE", `LATTICE_INSTANCE is '${instance}' but LATTICE_CONFIG_HEX encodes name '${cfg.name}'`);
  const chain = env["LATTICE_CHAIN_ID"]?.trim();
  if (chain && chain !== cfg.chainId.toString(10)) out.set("LATTICE_CHAIN_ID", `LATTICE_CHAIN_ID is '${chain}' but LATTICE_CONFIG_HEX encodes chain id '${cfg.chainId}'`);
  return out;
}

function parseEnv(role: RoleName, env: Env): RoleEnvMap[RoleName] {
  try {
    return parseRoleEnv(role, env);
  } catch (err) {
    if (!(err instanceof RoleEnvError)) throw err;
    const mismatches = mismatchMessages(env);
    const problems = err.problems.map((p) => {
      const m = mismatches.get(p.variable);
      return m === undefined ? `${p.variable}: ${p.message}` : m;
    });
    const onlyMismatch = err.problems.every((p) => mismatches.has(p.variable));
    const code = onlyMismatch ? "DAEMON_ENV_MISMATCH" : "DAEMON_ENV_INVALID";
    const head = onlyMismatch ? "" : `environment for ${role} has ${problems.length} problem${problems.length === 1 ? "" : "s"}: `;
    throw new DaemonError(code, `${head}${problems.join("; ")}`, { role, problems: err.problems }, { cause: err });
  }
}

async function loadSecrets(role: RoleName, organism: Organism, e: RoleEnvMap[RoleName]): Promise<DaemonSecrets> {
  const P = organism.toUpperCase();
  const files: [keyof DaemonSecrets, string, string][] = [
    ["committee", `${P}_COMMITTEE_SECRET_FILE`, e.committeeSecretFile],
    ["peer", `${P}_SECRET_FILE`, e.secretFile],
  ];
  if (role === "atelier-member") files.push(["bls", "ATELIER_BLS_SECRET_FILE", (e as RoleEnvMap["atelier-member"]).blsSecretFile]);
  if (role === "relay-member") files.push(["bls", "RELAY_BLS_SECRET_FILE", (e as RoleEnvMap["relay-member"]).blsSecretFile]);
  if (role === "tally-member") files.push(["ecdsa", "TALLY_ECDSA_SECRET_FILE", (e as RoleEnvMap["tally-member"]).ecdsaSecretFile]);
  // Read all of them so an operator fixing permissions sees every bad file at once.
  const results = await Promise.allSettled(files.map(([, name, path]) => readSecretFile(path, { name })));
  const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  const first = errors[0];
  if (first !== undefined) {
    if (errors.length === 1) throw first;
    const code = first instanceof DaemonError ? first.code : "DAEMON_SECRET_MISSING";
    throw new DaemonError(code, errors.map((x) => (x instanceof Error ? x.message : String(x))).join("; "), { count: errors.length });
  }
  const secrets: Partial<Record<keyof DaemonSecrets, Secret>> = {};
  files.forEach(([key], i) => {
    const r = results[i];
    if (r?.status === "fulfilled") secrets[key] = r.value;
  });
  return secrets as DaemonSecrets;
}

/**
 * Creates the data directory 0700, and tightens an existing one that group
 * or others can enter: it will hold the Raft log and keys derived from secrets.
 */
export async function ensureDataDir(path: string): Promise<void> {
  const fix = "set LATTICE_DATA_DIR to a directory this user may create";
  try {
    await fs.mkdir(path, { recursive: true, mode: 0o700 });
    const st = await fs.stat(path);
    if (!st.isDirectory()) throw new DaemonError("DAEMON_DATA_DIR", `data directory '${path}' exists but is not a directory; ${fix}`, { path });
    if ((st.mode & 0o077) !== 0) await fs.chmod(path, 0o700);
  } catch (err) {
    if (err instanceof DaemonError) throw err;
    const code = (err as { code?: string }).code;
    throw new DaemonError("DAEMON_DATA_DIR", `cannot create data directory '${path}' (${code ?? String(err)}); ${fix}`, { path, errno: code }, { cause: err });
  }
}

/**
 * Everything a role process needs from its environment: validated variables
 * (parseRoleEnv), the decoded LatticeConfig checked against LATTICE_INSTANCE
 * and LATTICE_CHAIN_ID, the secret files, the lattice and group ids, and a
 * private data directory. Throws DaemonError (exit code 2) with every
 * problem it found.
 */
export async function loadDaemonEnv(role: RoleName, env: Env): Promise<DaemonEnv> {
  const e: CommonRoleEnv = parseEnv(role, env);
  const { config, organism } = e;
  const secrets = await loadSecrets(role, organism, e);
  await ensureDataDir(e.dataDir);
  const lid = latticeId(config);
  const gid = groupId(config, organism);
  return {
    role,
    organism,
    config,
    configHex: e.configHex,
    latticeId: lid,
    latticeIdHex: idToHex(lid),
    groupId: gid,
    groupIdHex: idToHex(gid),
    member: e.member ?? hostname(),
    dataDir: e.dataDir,
    prometheusAddr: e.prometheusAddr,
    logLevel: e.logLevel,
    bootstrap: e.bootstrap,
    universe: e.universe,
    chainRpc: "chainRpc" in e && typeof e.chainRpc === "string" ? e.chainRpc : undefined,
    secrets,
    roleEnv: e as RoleEnvMap[RoleName],
  };
}
