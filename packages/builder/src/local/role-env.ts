// One role member's environment (the values of /etc/builder/common.env plus
// /etc/builder/<role>.env), built from the config and the variable table of
// @builder/lattice-config so that every name is the contract's.
import { latticeConfigToHex, roleEnvVariables, type LatticeConfig, type RoleName } from "@builder/lattice-config";

export interface RoleEnvOptions {
  readonly config: LatticeConfig;
  readonly role: RoleName;
  readonly member: string;
  /** env variable → path, from ensureSecrets(). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly dataDir?: string;
  /** "host:port"; omitted = no metrics endpoint. */
  readonly prometheusAddr?: string;
  readonly bootstrap?: readonly string[];
  readonly logLevel?: string;
  /** Any further variables of the role's table (e.g. ATELIER_CHAIN_RPC). */
  readonly extra?: Readonly<Record<string, string>>;
}

export class RoleEnvBuildError extends Error {
  readonly code = "BUILDER_ROLE_ENV";
  constructor(message: string) {
    super(message);
    this.name = "RoleEnvBuildError";
  }
}

/** The complete environment for one member; refuses names outside the role's table and missing required ones. */
export function roleEnvFor(o: RoleEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    LATTICE_INSTANCE: o.config.name,
    LATTICE_CHAIN_ID: o.config.chainId.toString(),
    LATTICE_CONFIG_HEX: latticeConfigToHex(o.config),
    LATTICE_MEMBER: o.member,
    ...o.secrets,
    ...(o.dataDir !== undefined ? { LATTICE_DATA_DIR: o.dataDir } : {}),
    ...(o.prometheusAddr !== undefined ? { PROMETHEUS_ADDR: o.prometheusAddr } : {}),
    ...(o.bootstrap && o.bootstrap.length > 0 ? { LATTICE_BOOTSTRAP: o.bootstrap.join(",") } : {}),
    ...(o.logLevel !== undefined ? { LOG_LEVEL: o.logLevel } : {}),
    ...o.extra,
  };
  const table = roleEnvVariables(o.role);
  const known = new Set(table.map((v) => v.name));
  const unknown = Object.keys(env).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new RoleEnvBuildError(`${o.role} does not read ${unknown.join(", ")}; its variables are ${[...known].join(", ")}`);
  const missing = table.filter((v) => v.required && env[v.name] === undefined).map((v) => v.name);
  if (missing.length > 0) throw new RoleEnvBuildError(`${o.role} needs ${missing.join(", ")} (pass the paths from ensureSecrets)`);
  return env;
}

/** An env file as systemd's EnvironmentFile= reads it (values need no quoting: no spaces or quotes occur). */
export function renderEnvFile(env: Readonly<Record<string, string>>, header: string): string {
  const bad = Object.entries(env).find(([, v]) => /[\s"'\\]/.test(v));
  if (bad) throw new RoleEnvBuildError(`${bad[0]} has a value with white space, a quote or a backslash; env files keep values bare`);
  return `# ${header}\n${Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n")}\n`;
}
