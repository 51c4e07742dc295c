// WAL record framing and payload codecs. Pure: no file access.
//
// Frame (little-endian):
//   u32 payloadLength | u32 crc32c(lengthBytes ++ type ++ payload) | u8 type | payload
// The length is inside the checksum so a flipped length bit cannot make a
// record "valid" at a different size.

import type { Entry, EntryKind, HardState } from "../types.js";
import { crc32c } from "./crc32c.js";
import { RaftStorageError } from "./errors.js";

export const RECORD_HEADER_BYTES = 9;

export const RecordType = {
  segmentHeader: 1,
  entry: 2,
  hardState: 3,
  snapshotMarker: 4,
} as const;
export type RecordTypeName = keyof typeof RecordType;

export type WalRecord =
  | { readonly type: "segmentHeader"; readonly seq: number }
  | { readonly type: "entry"; readonly entry: Entry }
  | { readonly type: "hardState"; readonly hardState: HardState }
  | { readonly type: "snapshotMarker"; readonly index: number; readonly term: number };

/** "BLRAFTWL": lets a reader reject a file that is not one of our segments before trusting any length field. */
const SEGMENT_MAGIC = new TextEncoder().encode("BLRAFTWL");
const FORMAT_VERSION = 1;

const KINDS: readonly EntryKind[] = ["normal", "noop", "conf"];
const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: true });

function getU64(v: DataView, off: number): number {
  const hi = v.getUint32(off + 4, true);
  if (hi > 0x1f_ffff) throw new Error(`u64 at payload offset ${off} exceeds 2^53`);
  return hi * 0x1_0000_0000 + v.getUint32(off, true);
}

function putU32(out: Uint8Array, off: number, n: number): void {
  out[off] = n & 0xff;
  out[off + 1] = (n >>> 8) & 0xff;
  out[off + 2] = (n >>> 16) & 0xff;
  out[off + 3] = (n >>> 24) & 0xff;
}
function putU64Bytes(out: Uint8Array, off: number, n: number): void {
  putU32(out, off, n % 0x1_0000_0000);
  putU32(out, off + 4, Math.floor(n / 0x1_0000_0000));
}

/** UTF-8 bytes of a hardState's vote (0 for none), checked against the u16 length field. */
function voteLength(hs: HardState): number {
  if (hs.vote === null) return 0;
  const n = Buffer.byteLength(hs.vote, "utf8");
  if (n >= 0xffff) {
    throw new RaftStorageError("RAFT_WAL_RECORD_TOO_LARGE", `hardState.vote is ${n} UTF-8 bytes; node ids must be under 65535 bytes.`, { field: "hardState.vote", bytes: n });
  }
  return n;
}

/** Payload bytes of `r` (the frame adds RECORD_HEADER_BYTES). */
export function payloadLength(r: WalRecord): number {
  switch (r.type) {
    case "segmentHeader":
      return 14;
    case "entry":
      return 17 + r.entry.data.length;
    case "hardState":
      return 18 + voteLength(r.hardState);
    case "snapshotMarker":
      return 16;
  }
}

/**
 * Frames one record, checksum included, into `out` at `off` (which must
 * have RECORD_HEADER_BYTES + payloadLength(r) bytes free); returns the
 * offset after it. The WAL encodes a whole batch into one buffer this way:
 * one allocation per write instead of two per record, so fewer ArrayBuffers
 * for the scavenger to sweep on every member.
 */
export function encodeRecordInto(r: WalRecord, out: Uint8Array, off: number): number {
  const len = payloadLength(r);
  const p = off + RECORD_HEADER_BYTES;
  switch (r.type) {
    case "segmentHeader":
      out.set(SEGMENT_MAGIC, p);
      out[p + 8] = FORMAT_VERSION & 0xff;
      out[p + 9] = FORMAT_VERSION >>> 8;
      putU32(out, p + 10, r.seq);
      break;
    case "entry": {
      const e = r.entry;
      putU64Bytes(out, p, e.term);
      putU64Bytes(out, p + 8, e.index);
      out[p + 16] = KINDS.indexOf(e.kind);
      out.set(e.data, p + 17);
      break;
    }
    case "hardState": {
      const hs = r.hardState;
      putU64Bytes(out, p, hs.term);
      putU64Bytes(out, p + 8, hs.commit);
      // 0xffff = no vote; node ids are PeerId strings, far below 64 KiB.
      const vl = hs.vote === null ? 0xffff : len - 18;
      out[p + 16] = vl & 0xff;
      out[p + 17] = vl >>> 8;
      if (hs.vote !== null) utf8.encodeInto(hs.vote, out.subarray(p + 18, p + len));
      break;
    }
    case "snapshotMarker":
      putU64Bytes(out, p, r.index);
      putU64Bytes(out, p + 8, r.term);
      break;
  }
  putU32(out, off, len);
  out[off + 8] = RecordType[r.type];
  putU32(out, off + 4, crc32c(out.subarray(off + 8, p + len), crc32c(out.subarray(off, off + 4))));
  return p + len;
}

/** Frames one record, checksum included. */
export function encodeRecord(r: WalRecord): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + payloadLength(r));
  encodeRecordInto(r, out, 0);
  return out;
}

export type FrameResult =
  | { readonly ok: true; readonly type: number; readonly payload: Uint8Array; readonly size: number }
  | { readonly ok: false; readonly reason: string; readonly extendsPastEnd: boolean };

/**
 * Reads the frame at `off` without trusting anything the checksum does not
 * cover. `maxPayload` bounds the length field so a damaged length can never
 * make us allocate or scan gigabytes.
 */
export function readFrame(buf: Uint8Array, off: number, maxPayload: number): FrameResult {
  if (off + RECORD_HEADER_BYTES > buf.length) {
    return { ok: false, reason: `header truncated (${buf.length - off} of ${RECORD_HEADER_BYTES} bytes)`, extendsPastEnd: true };
  }
  const v = new DataView(buf.buffer, buf.byteOffset + off, RECORD_HEADER_BYTES);
  const len = v.getUint32(0, true);
  const type = buf[off + 8]!;
  if (len > maxPayload) return { ok: false, reason: `length ${len} exceeds the ${maxPayload}-byte record limit`, extendsPastEnd: false };
  if (type < RecordType.segmentHeader || type > RecordType.snapshotMarker) {
    return { ok: false, reason: `unknown record type ${type}`, extendsPastEnd: off + RECORD_HEADER_BYTES + len > buf.length };
  }
  const end = off + RECORD_HEADER_BYTES + len;
  if (end > buf.length) return { ok: false, reason: `record of ${len} bytes runs past end of file`, extendsPastEnd: true };
  const want = v.getUint32(4, true);
  const got = crc32c(buf.subarray(off + 8, end), crc32c(buf.subarray(off, off + 4)));
  if (want !== got) {
    return { ok: false, reason: `checksum mismatch (stored ${want.toString(16)}, computed ${got.toString(16)})`, extendsPastEnd: false };
  }
  return { ok: true, type, payload: buf.subarray(off + RECORD_HEADER_BYTES, end), size: RECORD_HEADER_BYTES + len };
}

/** Parses a checksummed payload. Throws Error with a reason when the bytes are well-framed but not a valid record. */
export function decodePayload(type: number, p: Uint8Array): WalRecord {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const need = (n: number, what: string): void => {
    if (p.length < n) throw new Error(`${what} payload is ${p.length} bytes, expected at least ${n}`);
  };
  switch (type) {
    case RecordType.segmentHeader: {
      need(14, "segment header");
      for (let i = 0; i < SEGMENT_MAGIC.length; i++) {
        if (p[i] !== SEGMENT_MAGIC[i]) throw new Error("segment header magic is not BLRAFTWL");
      }
      const version = v.getUint16(8, true);
      if (version !== FORMAT_VERSION) throw new Error(`segment format version ${version}, this build reads ${FORMAT_VERSION}`);
      return { type: "segmentHeader", seq: v.getUint32(10, true) };
    }
    case RecordType.entry: {
      need(17, "entry");
      const kind = KINDS[p[16]!];
      if (!kind) throw new Error(`entry kind byte ${p[16]} is not one of 0..${KINDS.length - 1}`);
      // Copy: the payload is a view into the whole segment buffer, which must not be retained.
      return { type: "entry", entry: { term: getU64(v, 0), index: getU64(v, 8), kind, data: new Uint8Array(p.subarray(17)) } };
    }
    case RecordType.hardState: {
      need(18, "hardState");
      const voteLen = v.getUint16(16, true);
      let vote: string | null = null;
      if (voteLen !== 0xffff) {
        need(18 + voteLen, "hardState");
        vote = utf8d.decode(p.subarray(18, 18 + voteLen));
      }
      return { type: "hardState", hardState: { term: getU64(v, 0), commit: getU64(v, 8), vote } };
    }
    case RecordType.snapshotMarker:
      need(16, "snapshot marker");
      return { type: "snapshotMarker", index: getU64(v, 0), term: getU64(v, 8) };
    default:
      throw new Error(`unknown record type ${type}`);
  }
}
