// Typed errors of the committee facade.

export type CommitteeErrorCode =
  | "COMMITTEE_CONFIG"
  | "COMMITTEE_FORWARD_DECODE"
  | "COMMITTEE_FORWARD_FAILED"
  | "COMMITTEE_NO_LEADER"
  | "COMMITTEE_CONSUMER_LAGGED"
  | "COMMITTEE_STOPPED";

export class CommitteeError extends Error {
  readonly code: CommitteeErrorCode;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Whether retrying the same operation later may succeed. */
  readonly temporary: boolean;
  constructor(
    code: CommitteeErrorCode,
    message: string,
    opts: { fields?: Record<string, unknown>; temporary?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "CommitteeError";
    this.code = code;
    this.fields = opts.fields ?? {};
    this.temporary = opts.temporary ?? false;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, temporary: this.temporary, ...this.fields };
  }
}
