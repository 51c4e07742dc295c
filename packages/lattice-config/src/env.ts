/**
 * Per-role environment schemas (seed quickstart "Environment variables" and
 * the atelier runbook's env file). `parseRoleEnv` reports every missing or
 * invalid variable by name in one RoleEnvError.
 */
import * as z from "zod";
import { latticeConfigFromHex } from "./encoding.js";
import { LatticeConfigError, RoleEnvError, type EnvProblem } from "./errors.js";
import { uniqueId, UNIVERSE, type UniqueId } from "./ids.js";
import { isRoleName, ROLE_NAMES, roleSpec, type Organism, type RoleName } from "./organisms.js";
import type { LatticeConfig } from "./types.js";
import { LATTICE_NAME_RE } from "./validate.js";

/** Default parent of data directories: <root>/<instance>/<role>[.<member>]. */
export const DEFAULT_DATA_ROOT = "/var/lib/builder";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface EnvVariableSpec {
  name: string;
  required: boolean;
  description: string;
}

const COMMON_VARIABLES: readonly EnvVariableSpec[] = [
  { name: "LATTICE_INSTANCE", required: true, description: "instance name; must equal the config's name" },
  { name: "LATTICE_CHAIN_ID", required: true, description: "decimal chain id; must equal the config's chainId" },
  { name: "LATTICE_CONFIG_HEX", required: true, description: "hex of the canonical LatticeConfig encoding (optional 0x)" },
  { name: "LATTICE_BOOTSTRAP", required: false, description: "comma-separated bootstrap multiaddrs (default: none)" },
  { name: "LATTICE_UNIVERSE", required: false, description: "universe id: 64 hex, or a string hashed with blake3 (default: UNIVERSE)" },
  { name: "LATTICE_DATA_DIR", required: false, description: `this process's data directory (default: ${DEFAULT_DATA_ROOT}/<instance>/<role>[.<member>])` },
  { name: "PROMETHEUS_ADDR", required: false, description: "host:port for /metrics, /healthz, /readyz (default: not served)" },
  { name: "LOG_LEVEL", required: false, description: `${LOG_LEVELS.join("|")} (default: info)` },
  { name: "RUST_LOG", required: false, description: "alias of LOG_LEVEL (its default level is used; 'off' = silent); LOG_LEVEL wins" },
  { name: "LATTICE_MEMBER", required: false, description: "member name used in metric labels and the data directory" },
  { name: "LATTICE_LISTEN", required: false, description: "comma-separated libp2p listen multiaddrs (default: /ip4/127.0.0.1/tcp/0)" },
];

function organismVariables(org: Organism): EnvVariableSpec[] {
  const P = org.toUpperCase();
  return [
    { name: `${P}_COMMITTEE_SECRET_FILE`, required: true, description: `file holding the ${org} committee admission secret (32 bytes, hex)` },
    { name: `${P}_SECRET_FILE`, required: true, description: "file holding this member's peer identity secret (Ed25519)" },
  ];
}

const OPERATOR_KEY: EnvVariableSpec = {
  name: "LATTICE_OPERATOR_PUBLIC_KEY_FILE",
  required: true,
  description: "PEM (SPKI) file of the operator's Ed25519 public key that signs lattice and searcher tickets",
};

const EXTRA_VARIABLES: Partial<Record<RoleName, readonly EnvVariableSpec[]>> = {
  "zipnet-server": [
    OPERATOR_KEY,
    { name: "ZIPNET_MEMBERS", required: false, description: "comma-separated peer ids of the zipnet servers (default: this server plus the peer ids in LATTICE_BOOTSTRAP)" },
  ],
  "zipnet-aggregator": [
    OPERATOR_KEY,
    { name: "LATTICE_READ_TICKET_FILE", required: true, description: "file holding the aggregator's lattice read ticket (JWT), re-read on every reconnect" },
  ],
  "atelier-member": [
    { name: "ATELIER_BLS_SECRET_FILE", required: true, description: "file holding this member's BLS secret key" },
    { name: "ATELIER_CHAIN_RPC", required: false, description: "chain RPC for simulation; required when the config pins none (atelier.chainRpc = \"\"), else defaults to it" },
  ],
  "relay-member": [{ name: "RELAY_BLS_SECRET_FILE", required: true, description: "file holding the lattice's builder BLS secret key" }],
  "tally-member": [
    { name: "TALLY_ECDSA_SECRET_FILE", required: true, description: "file holding this member's secp256k1 attestation key" },
    { name: "TALLY_CHAIN_RPC", required: false, description: "chain RPC for the inclusion watcher; required when the config pins none (tally.chainRpc = \"\"), else defaults to it" },
  ],
};

/** The variables a role reads, for env-file generation and docs. */
export function roleEnvVariables(role: RoleName): EnvVariableSpec[] {
  return [...COMMON_VARIABLES, ...organismVariables(roleSpec(role).organism), ...(EXTRA_VARIABLES[role] ?? [])];
}

export interface PrometheusAddr {
  host: string;
  port: number;
}

export interface CommonRoleEnv {
  role: RoleName;
  organism: Organism;
  instance: string;
  chainId: bigint;
  /** LATTICE_CONFIG_HEX as given (trimmed). */
  configHex: string;
  /** The decoded config; its name and chainId equal instance and chainId. */
  config: LatticeConfig;
  bootstrap: string[];
  /** LATTICE_LISTEN; empty = the transport's default (/ip4/127.0.0.1/tcp/0). */
  listen: string[];
  universe: UniqueId;
  dataDir: string;
  prometheusAddr?: PrometheusAddr | undefined;
  logLevel: LogLevel;
  member?: string | undefined;
  committeeSecretFile: string;
  secretFile: string;
}

export interface AtelierRoleEnv extends CommonRoleEnv {
  blsSecretFile: string;
  /** ATELIER_CHAIN_RPC, else the config's atelier.chainRpc. */
  chainRpc: string;
}
export interface RelayRoleEnv extends CommonRoleEnv {
  blsSecretFile: string;
}
export interface TallyRoleEnv extends CommonRoleEnv {
  ecdsaSecretFile: string;
  /** TALLY_CHAIN_RPC, else the config's tally.chainRpc. */
  chainRpc: string;
}

export interface RoleEnvMap {
  "zipnet-server": CommonRoleEnv;
  "zipnet-aggregator": CommonRoleEnv;
  "unseal-member": CommonRoleEnv;
  "offer-member": CommonRoleEnv;
  "atelier-member": AtelierRoleEnv;
  "relay-member": RelayRoleEnv;
  "tally-member": TallyRoleEnv;
}

const missing = "required but not set";
const nonEmpty = (what: string) =>
  z.string({ error: (iss) => (iss.input === undefined ? missing : `expected ${what}`) }).trim().min(1, `expected ${what}, found an empty value`);
const optionalNonEmpty = (what: string) => z.string().trim().min(1, `expected ${what}, found an empty value`).optional();
const file = (what: string) => nonEmpty(`the path of the ${what} file`);

function parsePrometheusAddr(s: string): PrometheusAddr | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s);
  if (m === null) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

const RUST_LEVELS: Record<string, LogLevel> = { trace: "trace", debug: "debug", info: "info", warn: "warn", error: "error", off: "silent" };

/** RUST_LOG's default level: the first directive without "target=" (e.g. "info,libp2p=warn" → info). */
function rustLogLevel(s: string): LogLevel | undefined {
  for (const d of s.split(",")) {
    const t = d.trim().toLowerCase();
    if (t !== "" && !t.includes("=")) return RUST_LEVELS[t];
  }
  return undefined;
}

/**
 * The zod schema of a role's environment. It validates and transforms
 * (decodes LATTICE_CONFIG_HEX, cross-checks instance and chain id) and
 * returns RoleEnvMap[role]; unrelated variables are ignored.
 */
export function roleEnvSchema<R extends RoleName>(role: R): z.ZodType<RoleEnvMap[R], Record<string, string | undefined>> {
  const organism = roleSpec(role).organism;
  const P = organism.toUpperCase();
  const shape: Record<string, z.ZodType> = {
    LATTICE_INSTANCE: nonEmpty("the instance name").refine((s) => LATTICE_NAME_RE.test(s), "expected an instance name of letters, digits, '.', '_' or '-'"),
    LATTICE_CHAIN_ID: nonEmpty("a decimal chain id").refine((s) => /^[1-9]\d{0,19}$/.test(s) && BigInt(s) < 1n << 64n, "expected a decimal chain id in [1, 2^64-1]"),
    LATTICE_CONFIG_HEX: nonEmpty("the hex LatticeConfig"),
    LATTICE_BOOTSTRAP: z
      .string()
      .optional()
      .transform((s) => (s ?? "").split(",").map((x) => x.trim()).filter((x) => x !== ""))
      .refine((list) => list.every((a) => a.startsWith("/") && !/\s/.test(a)), "expected comma-separated multiaddrs such as /ip4/10.0.0.1/tcp/4001/p2p/12D3Koo…"),
    LATTICE_UNIVERSE: z.string().optional(),
    LATTICE_DATA_DIR: optionalNonEmpty("an absolute directory").refine((s) => s === undefined || s.startsWith("/"), "expected an absolute directory path"),
    PROMETHEUS_ADDR: optionalNonEmpty("host:port").refine((s) => s === undefined || parsePrometheusAddr(s) !== undefined, 'expected host:port such as "127.0.0.1:9100" or "[::1]:9100"'),
    LOG_LEVEL: z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS, { error: (iss) => `expected one of ${LOG_LEVELS.join(", ")}, found ${JSON.stringify(iss.input)}` })).optional(),
    RUST_LOG: z.string().optional().refine((s) => s === undefined || s.trim() === "" || rustLogLevel(s) !== undefined, "expected a level such as info, or directives like \"info,libp2p=warn\" (trace|debug|info|warn|error|off)"),
    LATTICE_MEMBER: optionalNonEmpty("a member name").refine((s) => s === undefined || /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s), "expected a member name of letters, digits, '.', '_' or '-' (at most 64)"),
    LATTICE_LISTEN: z
      .string()
      .optional()
      .transform((s) => (s ?? "").split(",").map((x) => x.trim()).filter((x) => x !== ""))
      .refine((list) => list.every((a) => a.startsWith("/") && !/\s/.test(a)), "expected comma-separated multiaddrs such as /ip4/0.0.0.0/tcp/4001"),
    [`${P}_COMMITTEE_SECRET_FILE`]: file(`${organism} committee secret`),
    [`${P}_SECRET_FILE`]: file("peer identity secret"),
  };
  if (organism === "zipnet") shape["LATTICE_OPERATOR_PUBLIC_KEY_FILE"] = file("operator public key (PEM)");
  if (role === "zipnet-server") {
    shape["ZIPNET_MEMBERS"] = z
      .string()
      .optional()
      .transform((s) => (s ?? "").split(",").map((x) => x.trim()).filter((x) => x !== ""))
      .refine((list) => list.every((id) => /^[1-9A-HJ-NP-Za-km-z]{46,60}$/.test(id)), "expected comma-separated libp2p peer ids (base58, such as 12D3KooW…)");
  } else if (role === "zipnet-aggregator") {
    shape["LATTICE_READ_TICKET_FILE"] = file("read ticket (JWT)");
  } else if (role === "atelier-member") {
    shape["ATELIER_BLS_SECRET_FILE"] = file("BLS secret");
    shape["ATELIER_CHAIN_RPC"] = optionalNonEmpty("a chain RPC URL");
  } else if (role === "relay-member") {
    shape["RELAY_BLS_SECRET_FILE"] = file("builder BLS secret");
  } else if (role === "tally-member") {
    shape["TALLY_ECDSA_SECRET_FILE"] = file("ECDSA secret");
    shape["TALLY_CHAIN_RPC"] = optionalNonEmpty("a chain RPC URL");
  }

  return z
    .object(shape)
    .transform((e, ctx) => {
      const v = e as Record<string, any>;
      const checked = configChecks(v);
      for (const problem of checked.problems) ctx.addIssue({ code: "custom", path: [problem.variable], message: problem.message });
      const config = checked.config;
      if (config === undefined) return z.NEVER;
      const rpc = (envKey: string, pinned: string): string => {
        const r = (v[envKey] as string | undefined) ?? pinned;
        if (r === "") ctx.addIssue({ code: "custom", path: [envKey], message: "required because the config pins no chain RPC; set it to an http(s) or ws(s) URL" });
        else if (!isRpcUrl(r)) ctx.addIssue({ code: "custom", path: [envKey], message: "expected an absolute http(s) or ws(s) URL" });
        return r;
      };
      const member = v["LATTICE_MEMBER"] as string | undefined;
      const instance = v["LATTICE_INSTANCE"] as string;
      const base: CommonRoleEnv = {
        role,
        organism,
        instance,
        chainId: BigInt(v["LATTICE_CHAIN_ID"]),
        configHex: (v["LATTICE_CONFIG_HEX"] as string).trim(),
        config,
        bootstrap: v["LATTICE_BOOTSTRAP"] as string[],
        listen: v["LATTICE_LISTEN"] as string[],
        universe: v["LATTICE_UNIVERSE"] === undefined || v["LATTICE_UNIVERSE"].trim() === "" ? UNIVERSE : uniqueId(v["LATTICE_UNIVERSE"].trim()),
        dataDir: (v["LATTICE_DATA_DIR"] as string | undefined) ?? `${DEFAULT_DATA_ROOT}/${instance}/${member === undefined ? role : `${role}.${member}`}`,
        prometheusAddr: v["PROMETHEUS_ADDR"] === undefined ? undefined : parsePrometheusAddr(v["PROMETHEUS_ADDR"]),
        logLevel: (v["LOG_LEVEL"] as LogLevel | undefined) ?? (v["RUST_LOG"] ? rustLogLevel(v["RUST_LOG"]) : undefined) ?? "info",
        member,
        committeeSecretFile: v[`${P}_COMMITTEE_SECRET_FILE`],
        secretFile: v[`${P}_SECRET_FILE`],
      };
      if (role === "atelier-member") return { ...base, blsSecretFile: v["ATELIER_BLS_SECRET_FILE"], chainRpc: rpc("ATELIER_CHAIN_RPC", config.atelier.chainRpc) };
      if (role === "relay-member") return { ...base, blsSecretFile: v["RELAY_BLS_SECRET_FILE"] };
      if (role === "tally-member") return { ...base, ecdsaSecretFile: v["TALLY_ECDSA_SECRET_FILE"], chainRpc: rpc("TALLY_CHAIN_RPC", config.tally.chainRpc) };
      return base;
    }) as unknown as z.ZodType<RoleEnvMap[R], Record<string, string | undefined>>;
}

/**
 * Decodes LATTICE_CONFIG_HEX and checks it against LATTICE_INSTANCE and
 * LATTICE_CHAIN_ID. Also run when other variables failed, so one run names
 * every problem.
 */
function configChecks(v: Readonly<Record<string, unknown>>): { config?: LatticeConfig; problems: EnvProblem[] } {
  const problems: EnvProblem[] = [];
  const hex = v["LATTICE_CONFIG_HEX"];
  if (typeof hex !== "string" || hex.trim() === "") return { problems };
  let config: LatticeConfig;
  try {
    config = latticeConfigFromHex(hex);
  } catch (err) {
    problems.push({ variable: "LATTICE_CONFIG_HEX", message: err instanceof LatticeConfigError ? `${err.code}: ${err.message}` : String(err) });
    return { problems };
  }
  const instance = typeof v["LATTICE_INSTANCE"] === "string" ? v["LATTICE_INSTANCE"].trim() : undefined;
  if (instance !== undefined && instance !== "" && config.name !== instance) {
    problems.push({ variable: "LATTICE_INSTANCE", message: `expected the config's name ${JSON.stringify(config.name)}, found ${JSON.stringify(instance)} (wrong env file or wrong LATTICE_CONFIG_HEX?)` });
  }
  const chain = typeof v["LATTICE_CHAIN_ID"] === "string" ? v["LATTICE_CHAIN_ID"].trim() : undefined;
  if (chain !== undefined && /^\d{1,20}$/.test(chain) && config.chainId !== BigInt(chain)) {
    problems.push({ variable: "LATTICE_CHAIN_ID", message: `expected the config's chain id ${config.chainId}, found ${chain}` });
  }
  return { config, problems };
}

function isRpcUrl(s: string): boolean {
  try {
    return ["http:", "https:", "ws:", "wss:"].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}

/** Validates `env` for `role`; throws RoleEnvError (LATTICE_ENV_INVALID) naming every bad variable. */
export function parseRoleEnv<R extends RoleName>(role: R, env: NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>>): RoleEnvMap[R] {
  if (!isRoleName(role)) throw new RoleEnvError(String(role), [{ variable: "(role)", message: `unknown role; expected one of ${ROLE_NAMES.join(", ")}` }]);
  const r = roleEnvSchema(role).safeParse({ ...env });
  if (r.success) return r.data;
  const problems: EnvProblem[] = r.error.issues.map((i) => ({ variable: String(i.path[0] ?? "(environment)"), message: i.message }));
  // zod skips the transform when a field failed; run the config cross-checks anyway.
  const reported = new Set(problems.map((p) => p.variable));
  for (const p of configChecks(env).problems) if (!reported.has(p.variable)) problems.push(p);
  throw new RoleEnvError(role, problems);
}
