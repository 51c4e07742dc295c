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
    const out = this.buf.slice(this.pos, this.pos + n);
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
  w.uint(s.meta.index, "snapshot.meta.index");
  w.uint(s.meta.term, "snapshot.meta.term");
  writeConfState(w, s.meta.conf);
  w.bytes(s.data, "snapshot.data");
}

function readSnapshot(r: Reader): Snapshot {
  const index = r.uint("snapshot.meta.index");
  const term = r.uint("snapshot.meta.term");
  const conf = readConfState(r);
  const data = r.bytes("snapshot.data");
  return { meta: { index, term, conf }, data };
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const w = new Writer();
  w.u8(CODEC_VERSION);
  writeSnapshot(w, s);
  return w.finish();
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

export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer();
  w.u8(CODEC_VERSION);
  const t = MESSAGE_TYPES.indexOf(m.type);
  if (t < 0) throw new CodecError("message", "message.type", 0, MESSAGE_TYPES.join("|"), String(m.type));
  w.u8(t);
  w.str(m.from, "message.from");
  w.str(m.to, "message.to");
  w.uint(m.term, "message.term");
  w.uint(m.logTerm, "message.logTerm");
  w.uint(m.index, "message.index");
  w.uint(m.commit, "message.commit");
  w.u8(m.reject ? 1 : 0);
  w.uint(m.rejectHint, "message.rejectHint");
  w.uint(m.entries.length, "message.entries.length");
  for (const e of m.entries) writeEntry(w, e);
  w.u8(m.snapshot === null ? 0 : 1);
  if (m.snapshot !== null) writeSnapshot(w, m.snapshot);
  w.bytes(m.context, "message.context");
  return w.finish();
}

/** `maxBytes` bounds the whole encoded message (default 16 MiB); check it before reading the frame when possible. */
export function decodeMessage(bytes: Uint8Array, opts: { maxBytes?: number } = {}): Message {
  checkInput(bytes, "message", opts.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  const r = new Reader(bytes, "message");
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
