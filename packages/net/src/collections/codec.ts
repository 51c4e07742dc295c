// Wire messages of `/lattice/collection/1.0.0/<collectionIdHex>`, after the
// ticket frame of the ticket guard:
//   reader → server  Subscribe: version u8 ‖ kind u8 (0 fromSlot, 1 fromSeq) ‖ value varint
//   server → reader  Entries:   0x00 ‖ firstSeq varint ‖ count varint ‖ count × (slot varint ‖ len varint ‖ data)
//                    Error:     0x01 ‖ code (len varint ‖ utf8) ‖ message (len varint ‖ utf8)
// Seqs inside one Entries frame are consecutive from firstSeq, so a frame
// cannot itself reorder entries. Decoders bound every count and length.
import type { CollectionEntry } from "./entry.js";
import { CollectionError } from "./errors.js";
import type { CollectionStart } from "./log.js";
import { readVarint, varintLength, writeVarint } from "../raft-transport/varint.js";

export const COLLECTION_WIRE_VERSION = 1;
/** Largest entry on the wire; CollectionLog caps maxEntryBytes to it. */
export const WIRE_MAX_ENTRY_BYTES = 1024 * 1024;
/** A server page: entries are batched up to this many data bytes (at least one entry). */
export const PAGE_BYTES = 256 * 1024;
export const MAX_ENTRIES_PER_FRAME = 4096;
/** page + one maximal entry + per-entry varints (≤ 16 bytes each). */
export const MAX_COLLECTION_FRAME = PAGE_BYTES + WIRE_MAX_ENTRY_BYTES + 16 * MAX_ENTRIES_PER_FRAME + 64;
const MAX_TEXT = 1024;

const TYPE_ENTRIES = 0;
const TYPE_ERROR = 1;

export type ServerFrame =
  | { readonly type: "entries"; readonly entries: readonly CollectionEntry[] }
  | { readonly type: "error"; readonly code: string; readonly message: string };

const fail = (what: string) => (field: string, offset: number, expected: string, received: string) =>
  new CollectionError("COLLECTION_DECODE", `Cannot decode ${what}: field "${field}" at byte ${offset}: expected ${expected}, received ${received}.`, {
    fields: { what, field, offset, expected, received },
  });

export function encodeSubscribe(start: CollectionStart): Uint8Array {
  const [kind, value] = "fromSeq" in start ? [1, start.fromSeq] : [0, start.fromSlot];
  const out = new Uint8Array(2 + varintLength(value));
  out[0] = COLLECTION_WIRE_VERSION;
  out[1] = kind;
  writeVarint(out, 2, value);
  return out;
}

export function decodeSubscribe(b: Uint8Array): CollectionStart {
  const f = fail("collection Subscribe");
  if (b[0] !== COLLECTION_WIRE_VERSION) throw f("version", 0, `version ${COLLECTION_WIRE_VERSION}`, b.length === 0 ? "an empty frame" : `version ${b[0]}`);
  const kind = b[1];
  if (kind !== 0 && kind !== 1) throw f("kind", 1, "0 (fromSlot) or 1 (fromSeq)", kind === undefined ? "the end of the frame" : String(kind));
  const [value, end] = readVarint(b, 2, "value", f);
  if (end !== b.length) throw f("end", end, "end of frame", `${b.length - end} trailing bytes`);
  if (kind === 1 && value < 1) throw f("value", 2, "a seq ≥ 1", String(value));
  return kind === 0 ? { fromSlot: value } : { fromSeq: value };
}

export function encodeEntries(entries: readonly CollectionEntry[]): Uint8Array {
  const first = entries[0];
  if (first === undefined) throw new CollectionError("COLLECTION_CONFIG", "encodeEntries: an Entries frame needs at least one entry.");
  let size = 1 + varintLength(first.seq) + varintLength(entries.length);
  for (const e of entries) size += varintLength(e.slot) + varintLength(e.data.length) + e.data.length;
  const out = new Uint8Array(size);
  out[0] = TYPE_ENTRIES;
  let off = writeVarint(out, 1, first.seq);
  off = writeVarint(out, off, entries.length);
  for (const [i, e] of entries.entries()) {
    if (e.seq !== first.seq + i) {
      throw new CollectionError("COLLECTION_CONFIG", `encodeEntries: seq ${e.seq} at position ${i} does not follow ${first.seq + i - 1}.`);
    }
    off = writeVarint(out, off, e.slot);
    off = writeVarint(out, off, e.data.length);
    out.set(e.data, off);
    off += e.data.length;
  }
  return out;
}

export function encodeError(code: string, message: string): Uint8Array {
  const c = new TextEncoder().encode(code.slice(0, MAX_TEXT));
  const m = new TextEncoder().encode(message.slice(0, MAX_TEXT / 4));
  const out = new Uint8Array(1 + varintLength(c.length) + c.length + varintLength(m.length) + m.length);
  out[0] = TYPE_ERROR;
  let off = writeVarint(out, 1, c.length);
  out.set(c, off);
  off += c.length;
  off = writeVarint(out, off, m.length);
  out.set(m, off);
  return out;
}

export function decodeServerFrame(b: Uint8Array): ServerFrame {
  const f = fail("collection server frame");
  if (b.length === 0) throw f("type", 0, "a type byte", "an empty frame");
  if (b[0] === TYPE_ERROR) {
    let [cl, off] = readVarint(b, 1, "code.length", f);
    if (cl > MAX_TEXT || cl > b.length - off) throw f("code", off, `at most ${Math.min(MAX_TEXT, b.length - off)} bytes`, `${cl}`);
    const code = decodeText(b.subarray(off, off + cl), "code", off);
    off += cl;
    let ml: number;
    [ml, off] = readVarint(b, off, "message.length", f);
    if (ml > MAX_TEXT || ml > b.length - off) throw f("message", off, `at most ${Math.min(MAX_TEXT, b.length - off)} bytes`, `${ml}`);
    const message = decodeText(b.subarray(off, off + ml), "message", off);
    off += ml;
    if (off !== b.length) throw f("end", off, "end of frame", `${b.length - off} trailing bytes`);
    return { type: "error", code, message };
  }
  if (b[0] !== TYPE_ENTRIES) throw f("type", 0, "0 (entries) or 1 (error)", String(b[0]));
  let [seq, off] = readVarint(b, 1, "firstSeq", f);
  if (seq < 1) throw f("firstSeq", 1, "a seq ≥ 1", String(seq));
  let count: number;
  [count, off] = readVarint(b, off, "count", f);
  if (count < 1 || count > MAX_ENTRIES_PER_FRAME) throw f("count", off, `1..${MAX_ENTRIES_PER_FRAME} entries`, String(count));
  const entries: CollectionEntry[] = [];
  for (let i = 0; i < count; i++) {
    let slot: number;
    let len: number;
    [slot, off] = readVarint(b, off, `entries[${i}].slot`, f);
    [len, off] = readVarint(b, off, `entries[${i}].length`, f);
    if (len > WIRE_MAX_ENTRY_BYTES) throw f(`entries[${i}].length`, off, `at most ${WIRE_MAX_ENTRY_BYTES} bytes`, `${len} bytes`);
    if (len > b.length - off) throw f(`entries[${i}].data`, off, `${len} bytes`, `${b.length - off} bytes left`);
    if (!Number.isSafeInteger(seq + i)) throw f(`entries[${i}]`, off, "a seq ≤ 2^53 - 1", "an overflow");
    entries.push({ seq: seq + i, slot, data: b.slice(off, off + len) });
    off += len;
  }
  if (off !== b.length) throw f("end", off, "end of frame", `${b.length - off} trailing bytes`);
  return { type: "entries", entries };
}

function decodeText(b: Uint8Array, field: string, offset: number): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    throw fail("collection server frame")(field, offset, "UTF-8 text", "invalid UTF-8");
  }
}
