// Typed errors of public collections (server, log and reader client).

export type CollectionErrorCode =
  | "COLLECTION_CONFIG"
  | "COLLECTION_APPEND"
  | "COLLECTION_DECODE"
  | "COLLECTION_GAP"
  | "COLLECTION_PRUNED"
  | "COLLECTION_TICKET_REFUSED"
  | "COLLECTION_UNAVAILABLE";

export class CollectionError extends Error {
  readonly code: CollectionErrorCode;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Whether retrying the same operation later may succeed. */
  readonly temporary: boolean;
  constructor(
    code: CollectionErrorCode,
    message: string,
    opts: { fields?: Record<string, unknown>; temporary?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "CollectionError";
    this.code = code;
    this.fields = opts.fields ?? {};
    this.temporary = opts.temporary ?? false;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, temporary: this.temporary, ...this.fields };
  }
}
