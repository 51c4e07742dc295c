// Typed errors of the net package. Every error carries an area-prefixed
// `code` and structured `fields` so callers branch on the code and loggers
// emit JSON; the message names what was received, what was expected and,
// where there is one, the fix.

export type NetErrorCode =
  | "NET_SECRET_FILE"
  | "NET_CONFIG"
  | "NET_DECODE"
  | "ADMISSION_REFUSED"
  | "TDX_QUOTE_INVALID"
  | "TDX_COLLATERAL_INVALID"
  | "TDX_COLLATERAL_EXPIRED"
  | "TDX_TCB_STATUS"
  | "TDX_MRTD_NOT_ALLOWED"
  | "TDX_BINDING_MISMATCH"
  | "ATTESTATION_REFUSED"
  | "TICKET_EXPIRED"
  | "TICKET_WRONG_LATTICE"
  | "TICKET_WRONG_SCOPE"
  | "TICKET_BAD_SIGNATURE"
  | "TICKET_MALFORMED"
  | "TICKET_REFUSED"
  | "DISCOVERY_BAD_ANNOUNCEMENT";

export class NetError extends Error {
  readonly code: NetErrorCode;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Whether retrying the same operation later may succeed. */
  readonly temporary: boolean;
  constructor(
    code: NetErrorCode,
    message: string,
    opts: { fields?: Record<string, unknown>; temporary?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "NetError";
    this.code = code;
    this.fields = opts.fields ?? {};
    this.temporary = opts.temporary ?? false;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, temporary: this.temporary, ...this.fields };
  }
}

/** Short description of an unknown thrown value, safe to log. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
