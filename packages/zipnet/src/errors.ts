// Typed errors: a stable `code` (area-prefixed, for metrics labels and JSON
// logs) plus structured fields naming what was received and what was expected.

export type ZipnetErrorCode =
  | "ZIPNET_DECODE_TRUNCATED"
  | "ZIPNET_DECODE_TRAILING"
  | "ZIPNET_DECODE_VERSION"
  | "ZIPNET_DECODE_TAG"
  | "ZIPNET_DECODE_LIMIT"
  | "ZIPNET_DECODE_FIELD"
  | "ZIPNET_ENCODE_FIELD"
  | "ZIPNET_PARAMS_INVALID"
  | "ZIPNET_KEY_INVALID"
  | "ZIPNET_RATCHET_PAST"
  | "ZIPNET_VECTOR_LENGTH"
  | "ZIPNET_DATUM_TOO_LARGE"
  | "ZIPNET_UNBLIND_WORKER"
  | "ZIPNET_SNAPSHOT_INVALID";

export class ZipnetError extends Error {
  override readonly name = "ZipnetError";
  constructor(
    readonly code: ZipnetErrorCode,
    message: string,
    readonly details: Readonly<Record<string, string | number | boolean>> = {},
  ) {
    const ctx = Object.entries(details)
      .map(([k, v]) => `  ${k}: ${String(v)}`)
      .join("\n");
    super(ctx ? `${message}\n${ctx}` : message);
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message.split("\n")[0], ...this.details };
  }
}

/** A field held a value outside its allowed range while decoding `what`. */
export function fieldError(what: string, field: string, expected: string, got: string | number): ZipnetError {
  return new ZipnetError("ZIPNET_DECODE_FIELD", `${what}: field "${field}" is invalid: expected ${expected}, got ${got}.`, {
    what,
    field,
    expected,
    got: String(got),
  });
}
