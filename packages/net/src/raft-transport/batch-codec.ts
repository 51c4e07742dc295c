// One transport frame = a batch of encoded Raft messages:
//   version u8 (=1) ‖ count varint ‖ count × (length varint ‖ encodeMessage bytes)
// Batching is the point of this layer: libp2p stream writes of small messages
// are ~15× slower than raw TCP (RECIPES.md), so everything the driver queued
// in one tick goes out as one frame. The outer length prefix (FrameDecoder's
// maxFrameBytes) bounds the frame; this decoder bounds the count and every
// inner length against the bytes that remain, before slicing.
import { RaftTransportError } from "./errors.js";
import { readVarint as readVarintWith, varintLength, writeVarint } from "./varint.js";

export const BATCH_VERSION = 1;
/** A frame never holds more messages than this; a driver tick produces a handful per peer. */
export const MAX_BATCH_MESSAGES = 65_536;

/**
 * The frame with its outer length prefix (the unsigned varint FrameDecoder
 * reads), in ONE buffer. One buffer matters: js-libp2p turns every chunk of a
 * Uint8ArrayList into its own Yamux frame and Noise message (two socket
 * writes each), so writing the prefix and the frame separately, or the
 * messages as a chunk list, multiplies socket writes (measured: 17 per
 * committed write at c=64 with a chunk list, 0.7 with one buffer).
 */
export function encodeFramedBatch(messages: readonly Uint8Array[]): Uint8Array {
  let frameLength = 1 + varintLength(messages.length);
  for (const m of messages) frameLength += varintLength(m.length) + m.length;
  // Every byte is written below, so the buffer need not be zeroed (a frame is often tens of KiB).
  const size = varintLength(frameLength) + frameLength;
  // Pooled for small frames (most are a few hundred bytes): a slab slice, not an ArrayBuffer each.
  const raw = Buffer.allocUnsafe(size);
  const out = new Uint8Array(raw.buffer, raw.byteOffset, size);
  let off = writeVarint(out, 0, frameLength);
  out[off++] = BATCH_VERSION;
  off = writeVarint(out, off, messages.length);
  for (const m of messages) {
    off = writeVarint(out, off, m.length);
    out.set(m, off);
    off += m.length;
  }
  return out;
}

export function encodeBatch(messages: readonly Uint8Array[]): Uint8Array {
  let size = 1 + varintLength(messages.length);
  for (const m of messages) size += varintLength(m.length) + m.length;
  const out = new Uint8Array(size);
  out[0] = BATCH_VERSION;
  let off = writeVarint(out, 1, messages.length);
  for (const m of messages) {
    off = writeVarint(out, off, m.length);
    out.set(m, off);
    off += m.length;
  }
  return out;
}

/** Splits a frame into its encoded messages (views into `frame`, not copies). */
export function decodeBatch(frame: Uint8Array, maxMessageBytes: number): Uint8Array[] {
  if (frame.length === 0) throw frameError("version", 0, "a version byte", "an empty frame");
  if (frame[0] !== BATCH_VERSION) throw frameError("version", 0, `version ${BATCH_VERSION}`, `version ${frame[0]}`);
  let [count, off] = readVarint(frame, 1, "count");
  if (count > MAX_BATCH_MESSAGES) throw frameError("count", 1, `at most ${MAX_BATCH_MESSAGES} messages`, String(count));
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = off;
    let len: number;
    [len, off] = readVarint(frame, off, `messages[${i}].length`);
    if (len > maxMessageBytes) {
      throw frameError(`messages[${i}].length`, at, `at most ${maxMessageBytes} bytes per message`, `${len} bytes`);
    }
    if (len > frame.length - off) {
      throw frameError(`messages[${i}]`, off, `${len} bytes`, `${frame.length - off} bytes left in the frame`);
    }
    out.push(frame.subarray(off, off + len));
    off += len;
  }
  if (off !== frame.length) throw frameError("end", off, "end of frame", `${frame.length - off} trailing bytes`);
  return out;
}

function frameError(field: string, offset: number, expected: string, received: string): RaftTransportError {
  return new RaftTransportError(
    "RAFT_TRANSPORT_FRAME",
    `Cannot decode Raft transport frame: field "${field}" at byte ${offset}: expected ${expected}, received ${received}.`,
    { fields: { field, offset, expected, received } },
  );
}

const readVarint = (buf: Uint8Array, off: number, field: string): [number, number] => readVarintWith(buf, off, field, frameError);
