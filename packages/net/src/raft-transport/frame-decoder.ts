// Splits a Raft stream's bytes into frames: unsigned-varint length ‖ frame
// (what encodeFramedBatch writes). It replaces @libp2p/utils' lpStream on the
// receive path, which reads the length one byte at a time through a promise
// per byte: that machinery was the largest source of garbage per message in
// the committee benchmark. This works on the stream's 'message' events
// directly, holds at most one partial frame, and copies each frame once into
// a buffer of its own (decoded entries may then be views into it).
import { RaftTransportError } from "./errors.js";

/** A length prefix longer than this cannot describe a frame we accept (2^56). */
const MAX_PREFIX_BYTES = 8;

export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Length of the frame being collected, once its prefix was read. */
  private need = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held for a frame not yet complete. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * Takes received bytes (one chunk or a chunk list) and returns every frame
   * they complete, in order. Throws RaftTransportError on a malformed prefix
   * or a frame above maxFrameBytes; the stream is then unusable.
   */
  push(data: Uint8Array | Iterable<Uint8Array>): Uint8Array[] {
    if (data instanceof Uint8Array) this.add(data);
    else for (const c of data) this.add(c);
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.need < 0 && !this.readPrefix()) break;
      if (this.buffered < this.need) break;
      frames.push(this.take(this.need));
      this.need = -1;
    }
    return frames;
  }

  private add(c: Uint8Array): void {
    if (c.byteLength === 0) return;
    this.chunks.push(c);
    this.buffered += c.byteLength;
  }

  /** Reads the length prefix if all of it is here; false if more bytes are needed. */
  private readPrefix(): boolean {
    let v = 0;
    let mul = 1;
    let i = 0;
    for (const c of this.chunks) {
      for (let j = 0; j < c.byteLength; j++, i++) {
        if (i >= MAX_PREFIX_BYTES) throw frameError("a length prefix of at most 8 bytes", "a longer one");
        const b = c[j]!;
        v += (b & 0x7f) * mul;
        if ((b & 0x80) === 0) {
          if (i > 0 && b === 0) throw frameError("a minimal varint length prefix", "a zero-padded one");
          if (v > this.maxFrameBytes) {
            throw new RaftTransportError("RAFT_TRANSPORT_FRAME", `raft frame: length ${v} exceeds the limit of ${this.maxFrameBytes} bytes.`, {
              fields: { length: v, max: this.maxFrameBytes },
            });
          }
          this.discard(i + 1);
          this.need = v;
          return true;
        }
        mul *= 0x80;
      }
    }
    return false;
  }

  /** Drops `n` bytes from the head of the buffered chunks (the length prefix just read). */
  private discard(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      if (c.byteLength <= n) {
        this.chunks.shift();
        n -= c.byteLength;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.byteLength, n - off);
      out.set(k === c.byteLength ? c : c.subarray(0, k), off);
      off += k;
      if (k === c.byteLength) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}

function frameError(expected: string, received: string): RaftTransportError {
  return new RaftTransportError("RAFT_TRANSPORT_FRAME", `raft frame: expected ${expected}, got ${received}.`, { fields: { expected, received } });
}
