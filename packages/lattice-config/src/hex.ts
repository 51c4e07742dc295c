const HEX_RE = /^[0-9a-fA-F]*$/;

/** Lowercase hex without `0x`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** True when `s` (after an optional `0x`) is an even-length hex string. */
export function isHex(s: string): boolean {
  const body = strip0x(s);
  return body.length % 2 === 0 && HEX_RE.test(body);
}

export function strip0x(s: string): string {
  return s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
}

/** Decodes hex (optional `0x`); returns undefined when it is not hex, so callers raise their own typed error. */
export function tryFromHex(s: string): Uint8Array | undefined {
  if (!isHex(s)) return undefined;
  return new Uint8Array(Buffer.from(strip0x(s), "hex"));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
