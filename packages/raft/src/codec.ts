// Compact, versioned binary codecs for everything Raft puts on the wire or in
// the WAL. Layout: one version byte, then fields in declaration order;
// integers are unsigned LEB128 varints capped at Number.MAX_SAFE_INTEGER,
// strings and byte strings are varint-length-prefixed. Decoders check every
// length against the bytes that remain before allocating, reject trailing
// bytes, and throw CodecError naming the field.
import { CodecError } from "./errors.js";
import type { ConfChange, ConfState, Entry, EntryKind, HardState, Message, MessageType, Snapshot } from "./types.js";

export const CODEC_VERSION = 1;
/** Node ids are libp2p PeerId strings (~52 chars); 256 bytes leaves ample room. */
export const MAX_NODE_ID_BYTES = 256;
/** A ConfState larger than this is corrupt: production sets have 3–7 voters. */
export const MAX_CONF_MEMBERS = 1024;
/** Default decodeMessage limit when the caller passes none (16 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const MESSAGE_TYPES: readonly MessageType[] = [
  "preVote", "preVoteResp", "vote", "voteResp", "append", "appendResp", "heartbeat", "heartbeatResp", "snapshot", "timeoutNow",
  "readIndex", "readIndexResp",
];
const ENTRY_KINDS: readonly EntryKind[] = ["normal", "noop", "conf"];
const CONF_CHANGE_TYPES = ["addLearner", "promoteLearner", "removeNode", "replaceVoter"] as const;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

class Writer {
  private buf = new Uint8Array(64);
  private pos = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  uint(v: number, field: string): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new CodecError("value", field, this.pos, "a non-negative safe integer", String(v));
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }
  bytes(b: Uint8Array, field: string): void {
    this.uint(b.length, field);
    this.raw(b);
  }
  /** `b` without a length (the caller wrote it). */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  str(s: string, field: string): void {
    const b = utf8Encoder.encode(s);
    if (b.length > MAX_NODE_ID_BYTES) throw new CodecError("value", field, this.pos, `at most ${MAX_NODE_ID_BYTES} UTF-8 bytes`, `${b.length} bytes`);
    this.bytes(b, field);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

class Reader {
  pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
    /** Byte strings come back as views into buf (see DecodeMessageOptions.shareInput). */
    private readonly share = false,
  ) {}
  fail(field: string, expected: string, received: string, at = this.pos): never {
    throw new CodecError(this.what, field, at, expected, received);
  }
  u8(field: string): number {
    const v = this.buf[this.pos];
    if (v === undefined) this.fail(field, "1 byte", "end of input");
    this.pos++;
    return v;
  }
  uint(field: string): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.buf[this.pos];
      if (b === undefined) this.fail(field, "a varint", "end of input", start);
      this.pos++;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        // Non-canonical encodings (trailing zero groups) would let two byte
        // strings decode to the same value; reject them so encode∘decode is the identity.
        if (b === 0 && i > 0) this.fail(field, "a minimally encoded varint", "a zero-padded varint", start);
        if (result > Number.MAX_SAFE_INTEGER) this.fail(field, `an integer <= ${Number.MAX_SAFE_INTEGER}`, "a larger integer", start);
        return result;
      }
      mul *= 0x80;
    }
    return this.fail(field, "a varint of at most 8 bytes", "a longer varint", start);
  }
  /** A length that must fit in what remains (each counted item takes at least `minItemBytes`). */
  length(field: string, minItemBytes = 1, max = Number.MAX_SAFE_INTEGER): number {
    const start = this.pos;
    const n = this.uint(field);
    if (n > max) this.fail(field, `a length <= ${max}`, String(n), start);
    if (n * minItemBytes > this.buf.length - this.pos) this.fail(field, `a length fitting the ${this.buf.length - this.pos} remaining bytes`, String(n), start);
    return n;
  }
  bytes(field: string): Uint8Array {
    const n = this.length(field);
    const out = this.share ? this.buf.subarray(this.pos, this.pos + n) : this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  str(field: string): string {
    const start = this.pos;
    const n = this.length(field, 1, MAX_NODE_ID_BYTES);
    const raw = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return utf8Decoder.decode(raw);
    } catch {
      return this.fail(field, "valid UTF-8", "invalid UTF-8 bytes", start);
    }
  }
  bool(field: string): boolean {
    const at = this.pos;
    const v = this.u8(field);
    if (v > 1) this.fail(field, "0 or 1", String(v), at);
    return v === 1;
  }
  version(): void {
    const v = this.u8("version");
    if (v !== CODEC_VERSION) this.fail("version", `version ${CODEC_VERSION}`, `version ${v}`, 0);
  }
  end(): void {
    if (this.pos !== this.buf.length) this.fail("end", `exactly ${this.pos} bytes`, `${this.buf.length} bytes (${this.buf.length - this.pos} trailing)`);
  }
}

function checkInput(bytes: unknown, what: string, maxBytes: number): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new CodecError(what, "input", 0, "a Uint8Array", typeof bytes);
  if (bytes.length > maxBytes) throw new CodecError(what, "input", 0, `at most ${maxBytes} bytes`, `${bytes.length} bytes`);
}

// ---- Entry ----

function writeEntry(w: Writer, e: Entry): void {
  w.uint(e.term, "entry.term");
  w.uint(e.index, "entry.index");
  const kind = ENTRY_KINDS.indexOf(e.kind);
  if (kind < 0) throw new CodecError("entry", "entry.kind", 0, ENTRY_KINDS.join("|"), String(e.kind));
  w.u8(kind);
  w.bytes(e.data, "entry.data");
}

function readEntry(r: Reader): Entry {
  const term = r.uint("entry.term");
  const index = r.uint("entry.index");
  const at = r.pos;
  const k = r.u8("entry.kind");
  const kind = ENTRY_KINDS[k];
  if (kind === undefined) r.fail("entry.kind", `0..${ENTRY_KINDS.length - 1}`, String(k), at);
  const data = r.bytes("entry.data");
  return { term, index, kind, data };
}

export function encodeEntry(e: Entry): Uint8Array {
  const w = new Writer();
  w.u8(CODEC_VERSION);
  writeEntry(w, e);
  return w.finish();
}

export function decodeEntry(bytes: Uint8Array, opts: { maxBytes?: number } = {}): Entry {
  checkInput(bytes, "entry", opts.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  const r = new Reader(bytes, "entry");
  r.version();
  const e = readEntry(r);
  r.end();
  return e;
}

// ---- HardState ----

export function encodeHardState(hs: HardState): Uint8Array {
  const w = new Writer();
  w.u8(CODEC_VERSION);
  w.uint(hs.term, "hardState.term");
  w.u8(hs.vote === null ? 0 : 1);
  if (hs.vote !== null) w.str(hs.vote, "hardState.vote");
  w.uint(hs.commit, "hardState.commit");
  return w.finish();
}

export function decodeHardState(bytes: Uint8Array): HardState {
  checkInput(bytes, "hardState", 1024);
  const r = new Reader(bytes, "hardState");
  r.version();
  const term = r.uint("hardState.term");
  const vote = r.bool("hardState.vote.present") ? r.str("hardState.vote") : null;
  const commit = r.uint("hardState.commit");
  r.end();
  return { term, vote, commit };
}

// ---- ConfState / ConfChange ----

function writeConfState(w: Writer, c: ConfState): void {
  w.uint(c.voters.length, "conf.voters.length");
  for (const v of c.voters) w.str(v, "conf.voters[]");
  w.uint(c.learners.length, "conf.learners.length");
  for (const l of c.learners) w.str(l, "conf.learners[]");
  const auto = c.autoPromote ?? [];
  w.uint(auto.length, "conf.autoPromote.length");
  for (const a of auto) w.str(a, "conf.autoPromote[]");
}

function readConfState(r: Reader): ConfState {
  const nv = r.length("conf.voters.length", 1, MAX_CONF_MEMBERS);
  const voters: string[] = [];
  for (let i = 0; i < nv; i++) voters.push(r.str(`conf.voters[${i}]`));
  const nl = r.length("conf.learners.length", 1, MAX_CONF_MEMBERS);
  const learners: string[] = [];
  for (let i = 0; i < nl; i++) learners.push(r.str(`conf.learners[${i}]`));
  const na = r.length("conf.autoPromote.length", 1, MAX_CONF_MEMBERS);
  if (na === 0) return { voters, learners };
  const autoPromote: string[] = [];
  for (let i = 0; i < na; i++) autoPromote.push(r.str(`conf.autoPromote[${i}]`));
  return { voters, learners, autoPromote };
}

export function encodeConfState(c: ConfState): Uint8Array {
  const w = new Writer();
  w.u8(CODEC_VERSION);
  writeConfState(w, c);
  return w.finish();
}

export function decodeConfState(bytes: Uint8Array): ConfState {
  checkInput(bytes, "confState", 3 * MAX_CONF_MEMBERS * (MAX_NODE_ID_BYTES + 2) + 16);
  const r = new Reader(bytes, "confState");
  r.version();
  const c = readConfState(r);
  r.end();
  return c;
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const w = new Writer();
  w.u8(CODEC_VERSION);
  const t = CONF_CHANGE_TYPES.indexOf(cc.type);
  if (t < 0) throw new CodecError("confChange", "confChange.type", 0, CONF_CHANGE_TYPES.join("|"), String((cc as { type: unknown }).type));
  w.u8(t);
  if (cc.type === "replaceVoter") {
    w.str(cc.remove, "confChange.remove");
    w.str(cc.add, "confChange.add");
  } else {
    w.str(cc.node, "confChange.node");
  }
  return w.finish();
}

export function decodeConfChange(bytes: Uint8Array): ConfChange {
  checkInput(bytes, "confChange", 1024);
  const r = new Reader(bytes, "confChange");
  r.version();
  const at = r.pos;
  const t = r.u8("confChange.type");
  const type = CONF_CHANGE_TYPES[t];
  let cc: ConfChange;
  if (type === undefined) return r.fail("confChange.type", `0..${CONF_CHANGE_TYPES.length - 1}`, String(t), at);
  if (type === "replaceVoter") {
    const remove = r.str("confChange.remove");
    const add = r.str("confChange.add");
    cc = { type, remove, add };
  } else {
    cc = { type, node: r.str("confChange.node") };
  }
  r.end();
  return cc;
}

// ---- Snapshot ----

function writeSnapshot(w: Writer, s: Snapshot): void {
  writeSnapshotHead(w, s);
  w.raw(s.data);
}

/** Everything of a snapshot before its data bytes: meta, then the data's length. */
function writeSnapshotHead(w: Writer, s: Snapshot): void {
  w.uint(s.meta.index, "snapshot.meta.index");
  w.uint(s.meta.term, "snapshot.meta.term");
  writeConfState(w, s.meta.conf);
  w.uint(s.data.length, "snapshot.data");
}

function readSnapshot(r: Reader): Snapshot {
  const index = r.uint("snapshot.meta.index");
  const term = r.uint("snapshot.meta.term");
  const conf = readConfState(r);
  const data = r.bytes("snapshot.data");
  return { meta: { index, term, conf }, data };
}

/**
 * The encoding of `s` without its data: encodeSnapshot(s) is this followed
 * by s.data. Lets a writer put megabytes of data on disk without copying
 * them into one buffer first.
 */
export function encodeSnapshotHead(s: Snapshot): Uint8Array {
  const w = new Writer();
  w.u8(CODEC_VERSION);
  writeSnapshotHead(w, s);
  return w.finish();
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  // Snapshots run to megabytes: encode the small head apart, then copy the
  // data once into an exactly-sized buffer (no doubling, no trimming copy).
  const head = encodeSnapshotHead(s);
  const out = new Uint8Array(head.length + s.data.length);
  out.set(head, 0);
  out.set(s.data, head.length);
  return out;
}

export function decodeSnapshot(bytes: Uint8Array, opts: { maxBytes?: number } = {}): Snapshot {
  checkInput(bytes, "snapshot", opts.maxBytes ?? Number.MAX_SAFE_INTEGER);
  const r = new Reader(bytes, "snapshot");
  r.version();
  const s = readSnapshot(r);
  r.end();
  return s;
}

// ---- Message ----
//
// The hot path: every Raft message crosses the transport through these two.
// encodeMessage sizes the message first (validating every field on the way,
// with the same field names and offsets as the generic Writer), then fills
// one exactly-sized buffer: no growth, no final copy, node ids UTF-8-encoded
// once and cached.

const MESSAGE_TYPE_INDEX = new Map<string, number>(MESSAGE_TYPES.map((t, i) => [t, i]));
const ENTRY_KIND_INDEX = new Map<string, number>(ENTRY_KINDS.map((k, i) => [k, i]));

// A committee has a handful of members, so this stays tiny; the cap only
// guards against a caller cycling through unbounded distinct ids.
const NODE_ID_CACHE_MAX = 4096;
const nodeIdCache = new Map<string, Uint8Array>();

function nodeIdBytes(s: string, field: string, at: number): Uint8Array {
  let b = nodeIdCache.get(s);
  if (b === undefined) {
    if (typeof s !== "string") throw new CodecError("value", field, at, "a string", typeof s);
    b = utf8Encoder.encode(s);
    if (b.length > MAX_NODE_ID_BYTES) throw new CodecError("value", field, at, `at most ${MAX_NODE_ID_BYTES} UTF-8 bytes`, `${b.length} bytes`);
    if (nodeIdCache.size >= NODE_ID_CACHE_MAX) nodeIdCache.clear();
    nodeIdCache.set(s, b);
  }
  return b;
}

function uintSize(v: number, field: string, at: number): number {
  if (v >= 0 && v < 0x80 && (v | 0) === v) return 1;
  if (!Number.isSafeInteger(v) || v < 0) throw new CodecError("value", field, at, "a non-negative safe integer", String(v));
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function putUint(buf: Uint8Array, pos: number, v: number): number {
  // Below 2^31 bit operations are exact and much cheaper than % and Math.floor.
  if (v < 0x80000000) {
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    return pos;
  }
  while (v >= 0x80) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[pos++] = v;
  return pos;
}

function putBytes(buf: Uint8Array, pos: number, b: Uint8Array): number {
  pos = putUint(buf, pos, b.length);
  // A loop beats the native set() call for the short strings and payloads Raft carries.
  if (b.length <= 64) {
    for (let i = 0; i < b.length; i++) buf[pos + i] = b[i]!;
  } else {
    buf.set(b, pos);
  }
  return pos + b.length;
}

// Allocating a small Uint8Array of its own costs ~1 µs (an off-heap backing
// store each; measured in bench/src/raft-codec.bench.ts), more than encoding
// an appendResp. Messages are therefore carved out of a shared slab, like
// Node's Buffer pool: each is a view over its own never-reused range, so the
// caller may keep it as long as it likes, but `.buffer` is the slab, not the
// message. Large messages get a buffer of their own, left unzeroed because
// every byte is written.
const SLAB_BYTES = 256 * 1024;
const SLAB_MAX_MESSAGE = 16 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabOffset = 0;

function allocMessage(size: number): Uint8Array {
  if (size > SLAB_MAX_MESSAGE) {
    const b = Buffer.allocUnsafeSlow(size);
    return new Uint8Array(b.buffer, b.byteOffset, size);
  }
  if (slabOffset + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabOffset = 0;
  }
  const out = new Uint8Array(slab, slabOffset, size);
  // 8-byte alignment keeps later DataView/typed-array views over a message cheap.
  slabOffset += (size + 7) & ~7;
  return out;
}

/**
 * The returned bytes are a view into a shared slab (see allocMessage): read
 * them or copy them, never write to them, and do not use `.buffer` as if it
 * were the message.
 */
export function encodeMessage(m: Message): Uint8Array {
  const t = MESSAGE_TYPE_INDEX.get(m.type);
  if (t === undefined) throw new CodecError("message", "message.type", 0, MESSAGE_TYPES.join("|"), String(m.type));
  // Sizing pass: `size` is also the offset each field will be written at, which the errors report.
  let size = 2;
  const from = nodeIdBytes(m.from, "message.from", size);
  size += uintSize(from.length, "message.from", size) + from.length;
  const to = nodeIdBytes(m.to, "message.to", size);
  size += uintSize(to.length, "message.to", size) + to.length;
  size += uintSize(m.term, "message.term", size);
  size += uintSize(m.logTerm, "message.logTerm", size);
  size += uintSize(m.index, "message.index", size);
  size += uintSize(m.commit, "message.commit", size);
  size += 1;
  size += uintSize(m.rejectHint, "message.rejectHint", size);
  const entries = m.entries;
  size += uintSize(entries.length, "message.entries.length", size);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    size += uintSize(e.term, "entry.term", size);
    size += uintSize(e.index, "entry.index", size);
    if (!ENTRY_KIND_INDEX.has(e.kind)) throw new CodecError("entry", "entry.kind", 0, ENTRY_KINDS.join("|"), String(e.kind));
    size += 1;
    size += uintSize(e.data.length, "entry.data", size) + e.data.length;
  }
  size += 1;
  // Snapshots are rare and large: the generic writer is fine for them.
  const snap = m.snapshot === null ? null : encodeSnapshotBody(m.snapshot);
  if (snap !== null) size += snap.length;
  size += uintSize(m.context.length, "message.context", size) + m.context.length;

  const out = allocMessage(size);
  out[0] = CODEC_VERSION;
  out[1] = t;
  let pos = putBytes(out, 2, from);
  pos = putBytes(out, pos, to);
  pos = putUint(out, pos, m.term);
  pos = putUint(out, pos, m.logTerm);
  pos = putUint(out, pos, m.index);
  pos = putUint(out, pos, m.commit);
  out[pos++] = m.reject ? 1 : 0;
  pos = putUint(out, pos, m.rejectHint);
  pos = putUint(out, pos, entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    pos = putUint(out, pos, e.term);
    pos = putUint(out, pos, e.index);
    out[pos++] = ENTRY_KIND_INDEX.get(e.kind)!;
    pos = putBytes(out, pos, e.data);
  }
  if (snap === null) {
    out[pos++] = 0;
  } else {
    out[pos++] = 1;
    out.set(snap, pos);
    pos += snap.length;
  }
  pos = putBytes(out, pos, m.context);
  if (pos !== size) throw new Error(`encodeMessage: wrote ${pos} bytes, sized ${size} (codec bug)`);
  return out;
}

function encodeSnapshotBody(s: Snapshot): Uint8Array {
  const w = new Writer();
  writeSnapshot(w, s);
  return w.finish();
}

export interface DecodeMessageOptions {
  /** Bound on the whole encoded message (default 16 MiB); check it before reading the frame when possible. */
  maxBytes?: number;
  /**
   * Return entry data, snapshot data and context as views into `bytes`
   * instead of copies (default false). Only for a caller that owns `bytes`
   * and never writes to it afterwards, e.g. a transport handing over a frame
   * it just read: the decoded message then shares, and keeps alive, that
   * buffer. Saves one allocation and copy per entry.
   */
  shareInput?: boolean;
}

export function decodeMessage(bytes: Uint8Array, opts: DecodeMessageOptions = {}): Message {
  checkInput(bytes, "message", opts.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  const r = new Reader(bytes, "message", opts.shareInput === true);
  r.version();
  const at = r.pos;
  const t = r.u8("message.type");
  const type = MESSAGE_TYPES[t];
  if (type === undefined) return r.fail("message.type", `0..${MESSAGE_TYPES.length - 1}`, String(t), at);
  const from = r.str("message.from");
  const to = r.str("message.to");
  const term = r.uint("message.term");
  const logTerm = r.uint("message.logTerm");
  const index = r.uint("message.index");
  const commit = r.uint("message.commit");
  const reject = r.bool("message.reject");
  const rejectHint = r.uint("message.rejectHint");
  // An encoded entry takes at least 4 bytes (term, index, kind, data length).
  const n = r.length("message.entries.length", 4);
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(readEntry(r));
  const snapshot = r.bool("message.snapshot.present") ? readSnapshot(r) : null;
  const context = r.bytes("message.context");
  r.end();
  return { type, from, to, term, logTerm, index, entries, commit, reject, rejectHint, snapshot, context };
}
