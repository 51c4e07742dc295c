/**
 * Every failure this package reports is a DaemonError: a stable `code` for
 * logs, metrics and tests, a one-line message that names the input and the
 * fix, and structured `details` that log as JSON without string parsing.
 */
export type DaemonErrorCode =
  | "DAEMON_SECRET_MISSING"
  | "DAEMON_SECRET_NOT_A_FILE"
  | "DAEMON_SECRET_PERMISSIONS"
  | "DAEMON_SECRET_MALFORMED"
  | "DAEMON_SECRET_EXISTS"
  | "DAEMON_SECRET_WRITE_FAILED"
  | "DAEMON_ENV_INVALID"
  | "DAEMON_ENV_MISMATCH"
  | "DAEMON_CONFIG_INVALID"
  | "DAEMON_DATA_DIR"
  | "DAEMON_LISTEN_FAILED"
  | "DAEMON_SLOT_CONFIG_INVALID";

/** Codes caused by the operator's configuration: the process exits 2 on these (sysexits' "usage" spirit). */
const CONFIG_CODES: ReadonlySet<DaemonErrorCode> = new Set<DaemonErrorCode>([
  "DAEMON_SECRET_MISSING",
  "DAEMON_SECRET_NOT_A_FILE",
  "DAEMON_SECRET_PERMISSIONS",
  "DAEMON_SECRET_MALFORMED",
  "DAEMON_ENV_INVALID",
  "DAEMON_ENV_MISMATCH",
  "DAEMON_CONFIG_INVALID",
  "DAEMON_DATA_DIR",
  "DAEMON_SLOT_CONFIG_INVALID",
]);

export class DaemonError extends Error {
  override readonly name = "DaemonError";
  readonly code: DaemonErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: DaemonErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** True when the operator must fix configuration (env, secret files, flags) before a restart can help. */
  get isConfigError(): boolean {
    return CONFIG_CODES.has(this.code);
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

export function isDaemonError(e: unknown): e is DaemonError {
  return e instanceof DaemonError;
}
