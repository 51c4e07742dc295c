// The append-only, segmented write-ahead log. Durability rules (see
// docs/storage.md): a record is acknowledged only after sync() resolved;
// recovery verifies every checksum, truncates a torn tail of the newest
// segment and refuses (WalCorruptError) to skip over damage with valid data
// behind it.

import fs from "node:fs";
import fsp from "node:fs/promises";
import { join } from "node:path";
import type { Entry, HardState } from "../types.js";
import { invalidOption, RaftStorageError } from "./errors.js";
import { encodeRecord, encodeRecordInto, payloadLength, RECORD_HEADER_BYTES, type WalRecord } from "./wal-record.js";
import { scanSegment, type TornTail } from "./wal-scan.js";
import { Replay } from "./wal-replay.js";
import { fsyncDir, fsyncDirAsync } from "./fs-util.js";

export interface WalOptions {
  /** Rotate to a new segment once the active one reaches this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Largest record payload accepted on write and on read. Default 64 MiB. */
  readonly maxRecordBytes?: number;
  /** The snapshot recovery starts from: entries at or below its index are not returned. */
  readonly snapshot?: { readonly index: number; readonly term: number };
  /** Scan and report only: never truncate a torn tail or delete leftovers. */
  readonly readOnly?: boolean;
  /**
   * Zeros written ahead of the active segment's end, this many bytes at a
   * time, so that a sync() flushes data only: an append that grows the file
   * makes fdatasync commit the new size through the filesystem's journal
   * (etcd preallocates its segments for the same reason). 0 turns it off.
   * Default 256 KiB.
   */
  readonly preallocateBytes?: number;
}

export interface WalRecovery {
  readonly hardState: HardState | null;
  /** The log after the snapshot, contiguous from snapshot.index + 1. */
  readonly entries: Entry[];
  readonly tornTail: TornTail | null;
  /** Zeros after the last record of the newest segment: preallocated space, kept and written over. */
  readonly zeroTailBytes: number;
  readonly segments: number;
  readonly records: number;
}

interface SegmentInfo {
  readonly seq: number;
  readonly name: string;
  /** Highest entry index written into this segment (0 if none): compaction drops it once a snapshot covers it. */
  maxIndex: number;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_RECORD = 64 * 1024 * 1024;
const DEFAULT_PREALLOCATE = 256 * 1024;
const SEGMENT_RE = /^([0-9a-f]{16})\.wal$/;
const segmentName = (seq: number): string => `${seq.toString(16).padStart(16, "0")}.wal`;

function checkPositiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v <= 0) throw invalidOption(name, v, "a positive integer number of bytes");
  return v;
}

export class Wal {
  private fd: number;
  /** Where the next record goes in the active segment. */
  private size: number;
  /** The active segment's file length: past `size` it holds zeros (preallocateBytes). */
  private allocated: number;
  private zeros: Buffer | null = null;
  private closed = false;
  private syncing = false;
  private hardState: HardState | null;

  private constructor(
    readonly dir: string,
    private readonly segments: SegmentInfo[],
    fd: number,
    size: number,
    allocated: number,
    hardState: HardState | null,
    private readonly segmentBytes: number,
    private readonly maxRecordBytes: number,
    private readonly preallocateBytes: number,
  ) {
    this.fd = fd;
    this.size = size;
    this.allocated = allocated;
    this.hardState = hardState;
  }

  /** Opens (creating if needed) the WAL in `dir` and replays it. */
  static open(dir: string, opts: WalOptions = {}): { wal: Wal; recovery: WalRecovery } {
    const segmentBytes = checkPositiveInt("segmentBytes", opts.segmentBytes, DEFAULT_SEGMENT_BYTES);
    const maxRecordBytes = checkPositiveInt("maxRecordBytes", opts.maxRecordBytes, DEFAULT_MAX_RECORD);
    const preallocate = opts.preallocateBytes ?? DEFAULT_PREALLOCATE;
    if (!Number.isSafeInteger(preallocate) || preallocate < 0) throw invalidOption("preallocateBytes", opts.preallocateBytes, "a non-negative integer number of bytes (0 turns preallocation off)");
    fs.mkdirSync(dir, { recursive: true });
    const { recovery, segments, lastValidBytes } = Wal.scan(dir, { ...opts, readOnly: false }, maxRecordBytes);
    const last = segments.at(-1);
    let fd: number;
    let size: number;
    let allocated: number;
    if (last) {
      fd = fs.openSync(join(dir, last.name), "r+");
      allocated = fs.fstatSync(fd).size;
      // Past the last record: preallocated zeros (kept) or a torn write (cut off).
      size = lastValidBytes;
      if (recovery.tornTail) {
        fs.ftruncateSync(fd, size);
        fs.fdatasyncSync(fd);
        allocated = size;
      }
    } else {
      const created = createSegment(dir, 1, null);
      segments.push({ seq: 1, name: created.name, maxIndex: 0 });
      fd = created.fd;
      size = allocated = created.size;
    }
    const wal = new Wal(dir, segments, fd, size, allocated, recovery.hardState, segmentBytes, maxRecordBytes, preallocate);
    return { wal, recovery };
  }

  /** Scans every segment and verifies every checksum without modifying anything. */
  static verify(dir: string, opts: Omit<WalOptions, "readOnly"> = {}): WalRecovery {
    const maxRecordBytes = checkPositiveInt("maxRecordBytes", opts.maxRecordBytes, DEFAULT_MAX_RECORD);
    return Wal.scan(dir, { ...opts, readOnly: true }, maxRecordBytes).recovery;
  }

  private static scan(dir: string, opts: WalOptions, maxRecordBytes: number): { recovery: WalRecovery; segments: SegmentInfo[]; lastValidBytes: number } {
    const base = opts.snapshot?.index ?? 0;
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (!opts.readOnly) {
      // A crash during rotation leaves a half-written temp segment: it was never renamed, so it holds nothing acknowledged.
      for (const n of names) if (n.endsWith(".wal.tmp")) fs.rmSync(join(dir, n), { force: true });
    }
    let segments: SegmentInfo[] = names
      .map((n) => SEGMENT_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ seq: parseInt(m[1]!, 16), name: m[0], maxIndex: 0 }))
      .sort((a, b) => a.seq - b.seq);

    // Compaction unlinks old segments oldest first; a crash in the middle can
    // leave a few behind a gap in the sequence. They are droppable only if the
    // snapshot covers them.
    let start = 0;
    for (let i = 1; i < segments.length; i++) if (segments[i]!.seq !== segments[i - 1]!.seq + 1) start = i;
    const leftovers = segments.slice(0, start);
    segments = segments.slice(start);

    const replay = new Replay(base, opts.snapshot?.term ?? 0);
    let tornTail: TornTail | null = null;
    let records = 0;
    let lastValidBytes = 0;
    let zeroTailBytes = 0;
    for (const [i, seg] of segments.entries()) {
      const buf = fs.readFileSync(join(dir, seg.name));
      const scan = scanSegment(buf, seg.name, i === segments.length - 1, maxRecordBytes);
      const first = scan.records[0]?.record;
      if (!first || first.type !== "segmentHeader" || first.seq !== seg.seq) {
        throw new RaftStorageError(
          "RAFT_WAL_CORRUPT",
          `WAL segment ${seg.name} does not start with its own header (found ${first ? first.type : "nothing"}); it is not a segment of this WAL or was damaged.`,
          { segment: seg.name, offset: 0 },
        );
      }
      for (const { record, offset } of scan.records) {
        replay.apply(record, seg.name, offset);
        if (record.type === "entry") seg.maxIndex = Math.max(seg.maxIndex, record.entry.index);
      }
      records += scan.records.length;
      tornTail = scan.torn;
      lastValidBytes = scan.validBytes;
      zeroTailBytes = scan.zeroTail;
    }

    for (const seg of leftovers) {
      const buf = fs.readFileSync(join(dir, seg.name));
      const scan = scanSegment(buf, seg.name, false, maxRecordBytes);
      for (const { record } of scan.records) if (record.type === "entry") seg.maxIndex = Math.max(seg.maxIndex, record.entry.index);
      if (seg.maxIndex > base) {
        throw new RaftStorageError(
          "RAFT_WAL_GAP",
          `WAL segment ${seg.name} is separated from the rest by a missing segment and holds entries up to ${seg.maxIndex}, above the snapshot at ${base}.`,
          { segment: seg.name, maxIndex: seg.maxIndex, snapshotIndex: base },
        );
      }
      if (!opts.readOnly) fs.rmSync(join(dir, seg.name));
    }
    if (leftovers.length && !opts.readOnly) fsyncDir(dir);

    const recovered = replay.finish();
    const firstEntry = recovered[0];
    if (firstEntry && firstEntry.index !== base + 1) {
      throw new RaftStorageError(
        "RAFT_WAL_GAP",
        `WAL entries start at ${firstEntry.index} but the snapshot ends at ${base}.`,
        { firstIndex: firstEntry.index, snapshotIndex: base },
      );
    }
    return {
      recovery: { hardState: replay.hardState, entries: recovered, tornTail, zeroTailBytes, segments: segments.length, records },
      segments,
      lastValidBytes,
    };
  }

  /**
   * Writes records to the active segment in one write() call (page cache
   * only: call sync() before acknowledging anything). Rotates first when the
   * batch would overflow the segment.
   */
  append(records: readonly WalRecord[]): void {
    this.assertWritable("append");
    if (records.length === 0) return;
    let size = 0;
    for (const r of records) {
      const bytes = payloadLength(r);
      if (bytes > this.maxRecordBytes) {
        throw new RaftStorageError(
          "RAFT_WAL_RECORD_TOO_LARGE",
          `A ${r.type} record of ${bytes} bytes exceeds maxRecordBytes (${this.maxRecordBytes}); raise the option or split the command.`,
          { type: r.type, bytes, maxRecordBytes: this.maxRecordBytes },
        );
      }
      size += RECORD_HEADER_BYTES + bytes;
    }
    // The whole batch in one pooled buffer: writeSync copies it out before it returns.
    const batch = Buffer.allocUnsafe(size);
    let off = 0;
    for (const r of records) off = encodeRecordInto(r, batch, off);
    if (this.size + batch.length > this.segmentBytes && this.size > 0) this.rotate();
    writeFully(this.fd, batch, batch.length, this.size);
    this.size += batch.length;
    if (this.size > this.allocated) this.preallocate();
    const seg = this.segments.at(-1)!;
    for (const r of records) {
      if (r.type === "entry") seg.maxIndex = Math.max(seg.maxIndex, r.entry.index);
      else if (r.type === "hardState") this.hardState = r.hardState;
    }
  }

  /** fdatasync of the active segment on the libuv thread pool, so other members in the process keep running. */
  sync(): Promise<void> {
    this.assertWritable("sync");
    this.syncing = true;
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (err) => {
        this.syncing = false;
        if (err) reject(err);
        else resolve();
      });
    });
  }

  syncNow(): void {
    this.assertWritable("syncNow");
    fs.fdatasyncSync(this.fd);
  }

  /**
   * Deletes the oldest segments whose entries are all covered by a durable
   * snapshot at `snapshotIndex`; never the active one. They leave the list at
   * once and are unlinked (oldest first) on the thread pool, so this may run
   * while a sync() is in flight: it never touches the active segment's fd. A
   * crash midway leaves a contiguous run of old segments that recovery
   * replays below the snapshot, as before the compaction.
   */
  async compact(snapshotIndex: number): Promise<number> {
    if (this.closed) throw new RaftStorageError("RAFT_WAL_CLOSED", "WAL compact() after close()", { dir: this.dir, op: "compact" });
    const gone: string[] = [];
    while (this.segments.length > 1 && this.segments[0]!.maxIndex <= snapshotIndex) gone.push(this.segments.shift()!.name);
    for (const name of gone) await fsp.rm(join(this.dir, name), { force: true });
    if (gone.length) await fsyncDirAsync(this.dir);
    return gone.length;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  /**
   * Zeros from the end of the file to `preallocateBytes` past the last record
   * (within the segment limit). They reach the disk with the next sync(),
   * which pays for the new file size once; the syncs after it only flush
   * data. Runs only from append(), never while a sync() is in flight.
   */
  private preallocate(): void {
    this.allocated = this.size;
    const target = Math.min(this.size + this.preallocateBytes, this.segmentBytes);
    if (target <= this.size) return;
    if (this.zeros === null || this.zeros.length < target - this.size) this.zeros = Buffer.alloc(this.preallocateBytes);
    try {
      writeFully(this.fd, this.zeros, target - this.size, this.size);
      this.allocated = target;
    } catch (err) {
      // A full disk only costs the optimisation: the records already written stand, and zeros that did land are free space.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOSPC" && code !== "EDQUOT") throw err;
      this.allocated = this.size;
    }
  }

  private rotate(): void {
    // Seal: everything in the old segment must be durable before the new one
    // exists, because recovery treats bad frames in sealed segments as
    // corruption — including preallocated zeros, so they are cut off first.
    // (fstat, not `allocated`: a write that failed midway may also have left bytes past the last record.)
    if (fs.fstatSync(this.fd).size !== this.size) fs.ftruncateSync(this.fd, this.size);
    fs.fdatasyncSync(this.fd);
    fs.closeSync(this.fd);
    const seq = this.segments.at(-1)!.seq + 1;
    const created = createSegment(this.dir, seq, this.hardState);
    this.segments.push({ seq, name: created.name, maxIndex: 0 });
    this.fd = created.fd;
    this.size = this.allocated = created.size;
  }

  private assertWritable(op: string): void {
    if (this.closed) throw new RaftStorageError("RAFT_WAL_CLOSED", `WAL ${op}() after close()`, { dir: this.dir, op });
    if (this.syncing && op !== "sync") {
      // The fd may be closed by a rotation while the thread pool still syncs it.
      throw new RaftStorageError("RAFT_WAL_CLOSED", `WAL ${op}() while a sync() is in flight; await it first`, { dir: this.dir, op });
    }
  }
}

function writeFully(fd: number, buf: Uint8Array, length: number, position: number): void {
  let written = 0;
  while (written < length) written += fs.writeSync(fd, buf, written, length - written, position + written);
}

/**
 * Creates segment `seq` atomically (temp file, fsync, rename, fsync dir),
 * starting with its header and the current hard state so that older
 * segments can be deleted without losing the vote and term.
 */
function createSegment(dir: string, seq: number, hardState: HardState | null): { fd: number; name: string; size: number } {
  const name = segmentName(seq);
  const tmp = join(dir, `${name}.tmp`);
  const recs: WalRecord[] = [{ type: "segmentHeader", seq }];
  if (hardState) recs.push({ type: "hardState", hardState });
  const bytes = Buffer.concat(recs.map(encodeRecord));
  const tfd = fs.openSync(tmp, "w");
  fs.writeSync(tfd, bytes);
  fs.fsyncSync(tfd);
  fs.closeSync(tfd);
  fs.renameSync(tmp, join(dir, name));
  fsyncDir(dir);
  return { fd: fs.openSync(join(dir, name), "r+"), name, size: bytes.length };
}
