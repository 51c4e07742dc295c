// Unsigned LEB128 varints, minimal encoding only, capped at 2^53 - 1, shared
// by the transport frame and the collection wire codec. The reader reports
// failures through the caller's error factory so each codec names its own
// message and field.

export type FieldError = (field: string, offset: number, expected: string, received: string) => Error;

export function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

export function writeVarint(buf: Uint8Array, off: number, v: number): number {
  while (v >= 0x80) {
    buf[off++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[off++] = v;
  return off;
}

/** Returns [value, next offset]. At most 8 bytes (56 bits), value ≤ MAX_SAFE_INTEGER, no zero padding. */
export function readVarint(buf: Uint8Array, off: number, field: string, fail: FieldError): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    const b = buf[off + i];
    if (b === undefined) throw fail(field, off, "a varint", "the end of the frame");
    v += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) throw fail(field, off, "a minimal varint", "a zero-padded varint");
      if (!Number.isSafeInteger(v)) throw fail(field, off, "at most 2^53 - 1", "a larger value");
      return [v, off + i + 1];
    }
    mul *= 0x80;
  }
  throw fail(field, off, "a varint of at most 8 bytes", "a longer one");
}
