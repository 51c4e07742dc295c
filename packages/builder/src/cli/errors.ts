export type CliErrorCode = "CLI_UNKNOWN_COMMAND" | "CLI_UNKNOWN_FLAG" | "CLI_BAD_FLAG_VALUE" | "CLI_MISSING_FLAG" | "CLI_UNEXPECTED_ARGUMENT";

/** A usage error: printed as one line (no stack) and the process exits 2. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Exit code for usage and configuration errors (the daemons use the same). */
export const EXIT_USAGE = 2;
