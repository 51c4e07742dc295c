export type ZipnetClientErrorCode = "ZIPNET_CLIENT_CONFIG" | "ZIPNET_CLIENT_REGISTRATION" | "ZIPNET_CLIENT_CLOSED" | "ZIPNET_CLIENT_RATE_LIMITED";

/** A client-facade failure; `temporary` says whether retrying the same call may succeed. */
export class ZipnetClientError extends Error {
  override readonly name = "ZipnetClientError";
  constructor(
    readonly code: ZipnetClientErrorCode,
    message: string,
    readonly fields: Readonly<Record<string, string | number | boolean>> = {},
    readonly temporary = false,
  ) {
    super(message);
  }
}
