// Reply frames of zipnet's request protocols: one status byte, then a UTF-8
// reason (≤ 64 bytes) naming why the request was refused.
import { ZipnetError } from "../errors.js";

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export const MAX_REASON_BYTES = 64;

export function encodeVerdict(v: Verdict): Uint8Array {
  if (v.ok) return Uint8Array.of(0);
  const reason = new TextEncoder().encode(v.reason).subarray(0, MAX_REASON_BYTES);
  const out = new Uint8Array(1 + reason.length);
  out[0] = 1;
  out.set(reason, 1);
  return out;
}

export function decodeVerdict(b: Uint8Array): Verdict {
  if (b.length === 1 && b[0] === 0) return { ok: true };
  if (b.length >= 2 && b.length <= 1 + MAX_REASON_BYTES && b[0] === 1) return { ok: false, reason: new TextDecoder().decode(b.subarray(1)) };
  throw new ZipnetError("ZIPNET_DECODE_FIELD", "Verdict: expected 0x00, or 0x01 followed by a 1..64-byte reason.", {
    what: "Verdict",
    got: `${b.length} bytes, first ${b[0] ?? "none"}`,
  });
}
