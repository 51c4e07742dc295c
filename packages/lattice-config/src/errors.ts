/**
 * Typed errors of this package. Every error carries an area-prefixed `code`
 * so callers can branch on it and logs/metrics can label it, and a message
 * that names the offending input and what was expected.
 */

export type LatticeConfigErrorCode =
  | "LATTICE_CONFIG_BAD_HEX"
  | "LATTICE_CONFIG_EMPTY"
  | "LATTICE_CONFIG_TOO_LARGE"
  | "LATTICE_CONFIG_UNKNOWN_VERSION"
  | "LATTICE_CONFIG_TRUNCATED"
  | "LATTICE_CONFIG_TRAILING_BYTES"
  | "LATTICE_CONFIG_MALFORMED"
  | "LATTICE_CONFIG_NON_CANONICAL"
  | "LATTICE_CONFIG_INVALID"
  | "LATTICE_CONFIG_BAD_OPTION"
  | "LATTICE_ID_BAD_HEX";

/** One problem found while validating a config value or option. */
export interface ConfigProblem {
  /** Dotted path of the field, e.g. `unseal.t` or `atelier.blsPublicKeys[2]`. */
  field: string;
  /** What was expected and what was found. */
  message: string;
}

export class LatticeConfigError extends Error {
  override readonly name = "LatticeConfigError";
  readonly code: LatticeConfigErrorCode;
  /** Every problem found (validation reports all of them at once). */
  readonly problems: readonly ConfigProblem[];

  constructor(code: LatticeConfigErrorCode, message: string, problems: readonly ConfigProblem[] = [], options?: { cause?: unknown }) {
    const details = problems.length > 0 ? `\n${problems.map((p) => `  - ${p.field}: ${p.message}`).join("\n")}` : "";
    super(`${message}${details}`, options);
    this.code = code;
    this.problems = problems;
  }
}

/** One problem in a manifest: which file, which key, what is wrong. */
export interface ManifestProblem {
  /** The manifest file (as given to `parseManifest`). */
  path: string;
  /** Dotted key path inside the file, e.g. `hosts[2].roles[0]`; empty for the whole document. */
  key: string;
  /** What is expected and what was found. */
  message: string;
}

export type ManifestErrorCode = "MANIFEST_INVALID" | "MANIFEST_SYNTAX";

export class ManifestError extends Error {
  override readonly name = "ManifestError";
  readonly code: ManifestErrorCode;
  readonly path: string;
  readonly problems: readonly ManifestProblem[];

  constructor(code: ManifestErrorCode, path: string, problems: readonly ManifestProblem[], options?: { cause?: unknown }) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    const lines = problems.map((p) => `  - ${p.key === "" ? "(document)" : p.key}: ${p.message}`);
    super(`${path}: ${count} in the lattice manifest:\n${lines.join("\n")}`, options);
    this.code = code;
    this.path = path;
    this.problems = problems;
  }
}

/** One environment variable that is missing or invalid. */
export interface EnvProblem {
  /** The variable name, e.g. `ATELIER_BLS_SECRET_FILE`. */
  variable: string;
  message: string;
}

export type RoleEnvErrorCode = "LATTICE_ENV_INVALID";

export class RoleEnvError extends Error {
  override readonly name = "RoleEnvError";
  readonly code: RoleEnvErrorCode = "LATTICE_ENV_INVALID";
  readonly role: string;
  readonly problems: readonly EnvProblem[];

  constructor(role: string, problems: readonly EnvProblem[]) {
    const lines = problems.map((p) => `  - ${p.variable}: ${p.message}`);
    super(`environment for role "${role}" has ${problems.length} problem(s):\n${lines.join("\n")}`);
    this.role = role;
    this.problems = problems;
  }
}
