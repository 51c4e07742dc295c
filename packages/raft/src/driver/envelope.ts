// What the driver puts around the state machine's bytes.
//
// Command entry:  u8 0 | command                      (no request id)
//                 u8 1 | u16 idLen | clientId | u64 seq | command
// Snapshot data:  u32 dedupeLen | dedupe table (v8 serialized) | state machine snapshot
//
// The dedupe table rides in the snapshot because it is replicated state: a
// member restored from a snapshot must answer a retried request exactly like
// the member that applied the original.

import v8 from "node:v8";
import { RaftDriverError } from "./errors.js";

export interface RequestId {
  readonly clientId: string;
  /** Per-client sequence number; a client uses each value once and retries with the same value. */
  readonly seq: number;
}

export interface DecodedCommand {
  readonly request: RequestId | null;
  readonly command: Uint8Array;
}

const MAX_CLIENT_ID_BYTES = 256;
const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: true });

const invalid = (what: string, index: number | null, reason: string): RaftDriverError =>
  new RaftDriverError("RAFT_COMMAND_INVALID", `Cannot decode ${what}${index === null ? "" : ` at index ${index}`}: ${reason}.`, { what, index, reason });

export function encodeCommand(command: Uint8Array, request?: RequestId): Uint8Array {
  if (!request) {
    const out = new Uint8Array(1 + command.length);
    out.set(command, 1);
    return out;
  }
  const id = utf8.encode(request.clientId);
  if (id.length === 0 || id.length > MAX_CLIENT_ID_BYTES) {
    throw invalid("requestId.clientId", null, `expected 1..${MAX_CLIENT_ID_BYTES} UTF-8 bytes, got ${id.length}`);
  }
  if (!Number.isSafeInteger(request.seq) || request.seq < 0) {
    throw invalid("requestId.seq", null, `expected a non-negative safe integer, got ${request.seq}`);
  }
  const out = new Uint8Array(1 + 2 + id.length + 8 + command.length);
  const v = new DataView(out.buffer);
  out[0] = 1;
  v.setUint16(1, id.length, true);
  out.set(id, 3);
  v.setUint32(3 + id.length, request.seq % 0x1_0000_0000, true);
  v.setUint32(7 + id.length, Math.floor(request.seq / 0x1_0000_0000), true);
  out.set(command, 11 + id.length);
  return out;
}

export function decodeCommand(data: Uint8Array, index: number): DecodedCommand {
  if (data.length < 1) throw invalid("command envelope", index, "empty entry data");
  if (data[0] === 0) return { request: null, command: data.subarray(1) };
  if (data[0] !== 1) throw invalid("command envelope", index, `version byte ${data[0]}, expected 0 or 1`);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 3) throw invalid("command envelope", index, "truncated client id length");
  const idLen = v.getUint16(1, true);
  if (idLen === 0 || idLen > MAX_CLIENT_ID_BYTES || data.length < 11 + idLen) {
    throw invalid("command envelope", index, `client id length ${idLen} with ${data.length} bytes`);
  }
  const clientId = utf8d.decode(data.subarray(3, 3 + idLen));
  const hi = v.getUint32(7 + idLen, true);
  if (hi > 0x1f_ffff) throw invalid("command envelope", index, "seq above 2^53");
  const seq = hi * 0x1_0000_0000 + v.getUint32(3 + idLen, true);
  return { request: { clientId, seq }, command: data.subarray(11 + idLen) };
}

export interface DedupeRecord {
  readonly seq: number;
  readonly result: unknown;
}

export function encodeSnapshotData(table: ReadonlyMap<string, DedupeRecord>, machine: Uint8Array): Uint8Array {
  const dedupe = v8.serialize([...table]);
  const out = new Uint8Array(4 + dedupe.length + machine.length);
  new DataView(out.buffer).setUint32(0, dedupe.length, true);
  out.set(dedupe, 4);
  out.set(machine, 4 + dedupe.length);
  return out;
}

export function decodeSnapshotData(data: Uint8Array, index: number): { table: Map<string, DedupeRecord>; machine: Uint8Array } {
  if (data.length < 4) throw invalid("snapshot data", index, `${data.length} bytes, shorter than the 4-byte header`);
  const len = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  if (len > data.length - 4) throw invalid("snapshot data", index, `dedupe table of ${len} bytes in ${data.length - 4}`);
  let entries: unknown;
  try {
    entries = v8.deserialize(data.subarray(4, 4 + len));
  } catch (err) {
    throw invalid("snapshot data", index, `dedupe table does not deserialize: ${(err as Error).message}`);
  }
  if (!Array.isArray(entries)) throw invalid("snapshot data", index, "dedupe table is not an array");
  return { table: new Map(entries as [string, DedupeRecord][]), machine: data.subarray(4 + len) };
}
