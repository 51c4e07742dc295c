// Reading a segment back: frame by frame, every checksum verified. Decides,
// for the first bad frame, whether it is a torn write (truncate and go on) or
// damage to acknowledged data (hard error). Pure: works on a byte buffer.

import { WalCorruptError } from "./errors.js";
import { decodePayload, readFrame, RECORD_HEADER_BYTES, type WalRecord } from "./wal-record.js";

export interface ScannedRecord {
  readonly record: WalRecord;
  readonly offset: number;
}

/** A bad frame at the end of the newest segment: bytes written but never fsynced. */
export interface TornTail {
  readonly segment: string;
  readonly offset: number;
  readonly droppedBytes: number;
  readonly reason: string;
}

export interface SegmentScan {
  readonly records: readonly ScannedRecord[];
  /** Offset just past the last valid record. */
  readonly validBytes: number;
  readonly torn: TornTail | null;
  /** Zeros after the last record of the newest segment: preallocated space (or an unsynced tail the disk never wrote, which looks the same). */
  readonly zeroTail: number;
}

function zeroFrom(buf: Uint8Array, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

// Disks write whole 512-byte sectors; a sector of zeros inside a damaged
// region means part of an unsynced write never reached the platter while a
// later sector did (the page cache flushes pages in any order). etcd's WAL
// uses the same signal (wal/decoder.go isTornEntry).
const SECTOR = 512;

function hasZeroSector(buf: Uint8Array, from: number, to: number): boolean {
  for (let s = Math.ceil(from / SECTOR) * SECTOR; s + SECTOR <= to; s += SECTOR) {
    let zero = true;
    for (let i = s; i < s + SECTOR; i++) {
      if (buf[i] !== 0) {
        zero = false;
        break;
      }
    }
    if (zero) return true;
  }
  return false;
}

function nextValidFrame(buf: Uint8Array, from: number, maxPayload: number): number {
  for (let p = from; p + RECORD_HEADER_BYTES <= buf.length; p++) {
    if (readFrame(buf, p, maxPayload).ok) return p;
  }
  return -1;
}

/**
 * Scans one segment. `isLast`: only the newest segment may end in a torn
 * write; older segments were fsynced before the next one was created, so any
 * bad frame in them is corruption.
 */
export function scanSegment(buf: Uint8Array, segment: string, isLast: boolean, maxPayload: number): SegmentScan {
  const records: ScannedRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    const f = readFrame(buf, off, maxPayload);
    if (f.ok) {
      let record: WalRecord;
      try {
        record = decodePayload(f.type, f.payload);
      } catch (err) {
        // The checksum matched, so these bytes are what we wrote: a format
        // mismatch or a bug, never a torn write.
        throw new WalCorruptError(segment, off, `record passes its checksum but does not parse: ${(err as Error).message}`);
      }
      records.push({ record, offset: off });
      off += f.size;
      continue;
    }
    if (!isLast) throw new WalCorruptError(segment, off, `${f.reason} in a sealed (fsynced) segment`);
    // Zeros to the end: the newest segment's preallocated space, not yet written (no frame is all zeros: type 0 does not exist).
    if (zeroFrom(buf, off)) return { records, validBytes: off, torn: null, zeroTail: buf.length - off };
    const next = nextValidFrame(buf, off + 1, maxPayload);
    if (next >= 0 && !hasZeroSector(buf, off, next)) {
      throw new WalCorruptError(segment, off, f.reason, { nextValidRecordAt: next });
    }
    return {
      records,
      validBytes: off,
      torn: { segment, offset: off, droppedBytes: buf.length - off, reason: f.reason },
      zeroTail: 0,
    };
  }
  return { records, validBytes: off, torn: null, zeroTail: 0 };
}
