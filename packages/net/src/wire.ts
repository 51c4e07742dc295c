// Bounds-checked binary reader/writer for the small wire messages of this
// package (admission, discovery). Every read names the message and field it
// failed on, so a truncated or oversized frame becomes a NET_DECODE error,
// never a RangeError deep inside a handler.
import { NetError } from "./errors.js";

export class WireWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  u8(v: number): this {
    return this.raw(Uint8Array.of(v));
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v);
    return this.raw(b);
  }
  u64(v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v);
    return this.raw(b);
  }
  raw(b: Uint8Array): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }
  /** u16 length prefix followed by the bytes. */
  bytes16(b: Uint8Array): this {
    return this.u16(b.length).raw(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

export class WireReader {
  private off = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}
  private take(n: number, field: string): Uint8Array {
    if (this.off + n > this.buf.length) {
      throw new NetError(
        "NET_DECODE",
        `${this.what}: truncated at field "${field}": need ${n} bytes at offset ${this.off}, frame has ${this.buf.length}.`,
        { fields: { message: this.what, field, offset: this.off, frameLength: this.buf.length } },
      );
    }
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8(field: string): number {
    return this.take(1, field)[0]!;
  }
  u16(field: string): number {
    const b = this.take(2, field);
    return new DataView(b.buffer, b.byteOffset, 2).getUint16(0);
  }
  u64(field: string): bigint {
    const b = this.take(8, field);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  }
  fixed(n: number, field: string): Uint8Array {
    return this.take(n, field).slice();
  }
  bytes16(field: string, max: number): Uint8Array {
    const n = this.u16(field);
    if (n > max) {
      throw new NetError("NET_DECODE", `${this.what}: field "${field}" is ${n} bytes; at most ${max} allowed.`, {
        fields: { message: this.what, field, length: n, max },
      });
    }
    return this.take(n, field).slice();
  }
  /** Rejects trailing bytes: a frame is exactly one message. */
  end(): void {
    if (this.off !== this.buf.length) {
      throw new NetError(
        "NET_DECODE",
        `${this.what}: ${this.buf.length - this.off} trailing bytes after the message; expected exactly ${this.off}.`,
        { fields: { message: this.what, trailing: this.buf.length - this.off } },
      );
    }
  }
}
