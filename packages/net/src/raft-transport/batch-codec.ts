// One transport frame = a batch of encoded Raft messages:
//   version u8 (=1) ‖ count varint ‖ count × (length varint ‖ encodeMessage bytes)
// Batching is the point of this layer: libp2p stream writes of small messages
// are ~15× slower than raw TCP (RECIPES.md), so everything the driver queued
// in one tick goes out as one frame. The outer length prefix (lpStream's
// maxDataLength) bounds the frame; this decoder bounds the count and every
// inner length against the bytes that remain, before slicing.
import { RaftTransportError } from "./errors.js";
import { readVarint as readVarintWith, varintLength, writeVarint } from "./varint.js";

export const BATCH_VERSION = 1;
/** A frame never holds more messages than this; a driver tick produces a handful per peer. */
export const MAX_BATCH_MESSAGES = 65_536;

/**
 * The frame as a list of chunks (header, then each length prefix and message
 * as they are) so the writer hands them to the stream without first copying
 * every message into one buffer. encodeBatch(m) equals their concatenation.
 */
export function encodeBatchChunks(messages: readonly Uint8Array[]): { chunks: Uint8Array[]; byteLength: number } {
  const header = new Uint8Array(1 + varintLength(messages.length));
  header[0] = BATCH_VERSION;
  writeVarint(header, 1, messages.length);
  // One buffer for all length prefixes, sliced per message.
  let prefixBytes = 0;
  for (const m of messages) prefixBytes += varintLength(m.length);
  const prefixes = new Uint8Array(prefixBytes);
  const chunks: Uint8Array[] = [header];
  let off = 0;
  let byteLength = header.length;
  for (const m of messages) {
    const end = writeVarint(prefixes, off, m.length);
    chunks.push(prefixes.subarray(off, end), m);
    byteLength += end - off + m.length;
    off = end;
  }
  return { chunks, byteLength };
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
