// Typed errors of the Raft transport. Same shape as NetError (code, fields,
// temporary) so one logger/metrics path handles both.

export type RaftTransportErrorCode = "RAFT_TRANSPORT_FRAME" | "RAFT_TRANSPORT_CONFIG";

export class RaftTransportError extends Error {
  readonly code: RaftTransportErrorCode;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly temporary: boolean;
  constructor(
    code: RaftTransportErrorCode,
    message: string,
    opts: { fields?: Record<string, unknown>; temporary?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "RaftTransportError";
    this.code = code;
    this.fields = opts.fields ?? {};
    this.temporary = opts.temporary ?? false;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, temporary: this.temporary, ...this.fields };
  }
}
