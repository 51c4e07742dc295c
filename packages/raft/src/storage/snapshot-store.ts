// Snapshot files, written atomically and kept newest-N. A snapshot is only
// referenced (WAL marker, WAL compaction) after save() returned (or
// saveAsync() resolved), i.e. after its file and the directory entry are durable.
//
// File: "BLRAFTSN" | u32 bodyLength | u32 crc32c(lengthBytes ++ body) | body
// where body = encodeSnapshot(snapshot) from ../codec.ts, written as its
// head (encodeSnapshotHead) and then the snapshot's data, never copied into
// one buffer: a snapshot runs to tens of megabytes.

import fs from "node:fs";
import fsp from "node:fs/promises";
import { join } from "node:path";
import { decodeSnapshot, encodeSnapshotHead } from "../codec.js";
import type { Snapshot } from "../types.js";
import { crc32c } from "./crc32c.js";
import { invalidOption, RaftStorageError } from "./errors.js";
import { fsyncDir, fsyncDirAsync } from "./fs-util.js";

const MAGIC = new TextEncoder().encode("BLRAFTSN");
const HEADER_BYTES = 16;
const CRC_SLICE_BYTES = 256 * 1024;
const NAME_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;
const hex16 = (n: number): string => n.toString(16).padStart(16, "0");

/** The file a snapshot at (index, term) is stored in. */
export const snapshotFileName = (index: number, term: number): string => `${hex16(index)}-${hex16(term)}.snap`;

export interface SnapshotStoreOptions {
  /** Snapshots kept on disk (newest first); older ones are deleted after each save. Default 2. */
  readonly keep?: number;
  /** Largest snapshot file accepted on write and read. Default 1 GiB. */
  readonly maxBytes?: number;
  /**
   * Test seam: runs after the temp file is fsynced and before the rename.
   * Throwing from it leaves the disk exactly as a crash at that point would.
   */
  readonly beforeRename?: (tmpPath: string) => void;
}

export interface SkippedSnapshot {
  readonly file: string;
  readonly reason: string;
}

export class SnapshotStore {
  private readonly keep: number;
  private readonly maxBytes: number;

  private constructor(
    readonly dir: string,
    opts: SnapshotStoreOptions,
  ) {
    this.keep = opts.keep ?? 2;
    this.maxBytes = opts.maxBytes ?? 1024 * 1024 * 1024;
    if (!Number.isSafeInteger(this.keep) || this.keep < 1) throw invalidOption("keep", opts.keep, "an integer >= 1");
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < HEADER_BYTES) throw invalidOption("maxBytes", opts.maxBytes, `an integer >= ${HEADER_BYTES}`);
    this.beforeRename = opts.beforeRename;
  }
  private readonly beforeRename: ((tmp: string) => void) | undefined;

  /** Opens the store, creating `dir`, and deletes temp files of saves that never completed. */
  static open(dir: string, opts: SnapshotStoreOptions = {}): SnapshotStore {
    const store = new SnapshotStore(dir, opts);
    fs.mkdirSync(dir, { recursive: true });
    for (const n of fs.readdirSync(dir)) if (n.endsWith(".snap.tmp")) fs.rmSync(join(dir, n), { force: true });
    return store;
  }

  /** Durably writes `s` (temp file, fsync, rename, fsync dir), then prunes to the newest `keep`. */
  save(s: Snapshot): string {
    const { name, head, body } = this.encodeFile(s);
    let crc = crc32c(head.subarray(8, 12));
    for (const part of body) crc = crc32c(part, crc);
    SnapshotStore.seal(head, crc);
    const tmp = join(this.dir, `${name}.tmp`);
    const fd = fs.openSync(tmp, "w");
    try {
      for (const part of [head, ...body]) for (let off = 0; off < part.length; ) off += fs.writeSync(fd, part, off, part.length - off);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.beforeRename?.(tmp);
    fs.renameSync(tmp, join(this.dir, name));
    fsyncDir(this.dir);
    this.prune();
    return name;
  }

  /**
   * save() with every file operation on the thread pool: a snapshot of a few
   * megabytes takes tens of milliseconds to fsync, which on the event loop
   * stalls every member of the process at once. Same steps, same guarantee
   * when it resolves.
   */
  async saveAsync(s: Snapshot): Promise<string> {
    const { name, head, body } = this.encodeFile(s);
    // The checksum too, in slices (~0.5 ms each here) between which the loop runs.
    let crc = crc32c(head.subarray(8, 12));
    for (const part of body) {
      for (let off = 0; off < part.length; off += CRC_SLICE_BYTES) {
        await new Promise((resolve) => setImmediate(resolve));
        crc = crc32c(part.subarray(off, off + CRC_SLICE_BYTES), crc);
      }
    }
    SnapshotStore.seal(head, crc);
    const tmp = join(this.dir, `${name}.tmp`);
    // A failed write (a full disk) removes its temp file: it would otherwise
    // stay until the next open, and retries use other names. (The test seam
    // between the two steps still leaves the disk as a crash would.)
    const orRemoveTmp = async (step: () => Promise<void>): Promise<void> => {
      try {
        await step();
      } catch (err) {
        await fsp.rm(tmp, { force: true }).catch(() => {});
        throw err;
      }
    };
    await orRemoveTmp(async () => {
      const fh = await fsp.open(tmp, "w");
      try {
        for (const part of [head, ...body]) for (let off = 0; off < part.length; ) off += (await fh.write(part, off, part.length - off)).bytesWritten;
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
    this.beforeRename?.(tmp);
    await orRemoveTmp(() => fsp.rename(tmp, join(this.dir, name)));
    await fsyncDirAsync(this.dir);
    const stale = this.stale();
    for (const f of stale) await fsp.rm(join(this.dir, f), { force: true });
    if (stale.length) await fsyncDirAsync(this.dir);
    return name;
  }

  /** The file header (checksum not yet sealed) and the body in parts: the snapshot's head, then its data as it is. */
  private encodeFile(s: Snapshot): { name: string; head: Uint8Array; body: readonly Uint8Array[] } {
    if (s.data.length + HEADER_BYTES > this.maxBytes) throw this.tooLarge(s, s.data.length + HEADER_BYTES);
    const snapHead = encodeSnapshotHead(s);
    const bodyLength = snapHead.length + s.data.length;
    if (bodyLength + HEADER_BYTES > this.maxBytes) throw this.tooLarge(s, bodyLength + HEADER_BYTES);
    const head = new Uint8Array(HEADER_BYTES);
    head.set(MAGIC, 0);
    new DataView(head.buffer).setUint32(8, bodyLength, true);
    return { name: snapshotFileName(s.meta.index, s.meta.term), head, body: [snapHead, s.data] };
  }

  private tooLarge(s: Snapshot, bytes: number): RaftStorageError {
    return new RaftStorageError(
      "RAFT_SNAPSHOT_TOO_LARGE",
      `Snapshot at index ${s.meta.index} is ${bytes} bytes${bytes === s.data.length + HEADER_BYTES ? " or more" : ""}, above maxBytes ${this.maxBytes}; raise SnapshotStoreOptions.maxBytes.`,
      { index: s.meta.index, bytes, maxBytes: this.maxBytes },
    );
  }

  private static seal(head: Uint8Array, crc: number): void {
    new DataView(head.buffer).setUint32(12, crc, true);
  }

  /** Snapshot file names, newest (highest index) first. */
  list(): string[] {
    return fs
      .readdirSync(this.dir)
      .filter((n) => NAME_RE.test(n))
      .sort()
      .reverse();
  }

  /**
   * The newest snapshot whose checksum verifies, plus the newer files that
   * did not (damaged files are reported, not deleted: an operator may want them).
   */
  loadNewest(): { snapshot: Snapshot | null; file: string | null; skipped: SkippedSnapshot[] } {
    const skipped: SkippedSnapshot[] = [];
    for (const file of this.list()) {
      try {
        return { snapshot: this.read(file), file, skipped };
      } catch (err) {
        if (!(err instanceof RaftStorageError) && !(err instanceof Error && "code" in err && err.code === "RAFT_CODEC")) throw err;
        skipped.push({ file, reason: err.message });
      }
    }
    return { snapshot: null, file: null, skipped };
  }

  /** Reads and verifies one snapshot file. Throws RAFT_SNAPSHOT_CORRUPT naming the file and what is wrong. */
  read(file: string): Snapshot {
    const path = join(this.dir, file);
    const corrupt = (reason: string): RaftStorageError =>
      new RaftStorageError("RAFT_SNAPSHOT_CORRUPT", `Snapshot file ${file} is unreadable: ${reason}.`, { file: path, reason });
    const size = fs.statSync(path).size;
    if (size > this.maxBytes) throw corrupt(`${size} bytes exceeds maxBytes ${this.maxBytes}`);
    const file_ = fs.readFileSync(path);
    // A plain Uint8Array view, so the decoded data is not a Buffer (callers compare and hash it as bytes).
    const buf = new Uint8Array(file_.buffer, file_.byteOffset, file_.length);
    if (buf.length < HEADER_BYTES) throw corrupt(`${buf.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
    for (let i = 0; i < MAGIC.length; i++) if (buf[i] !== MAGIC[i]) throw corrupt("magic is not BLRAFTSN");
    const v = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES);
    const len = v.getUint32(8, true);
    if (len !== buf.length - HEADER_BYTES) throw corrupt(`header says ${len} body bytes, file holds ${buf.length - HEADER_BYTES}`);
    const body = buf.subarray(HEADER_BYTES);
    const crc = crc32c(body, crc32c(buf.subarray(8, 12)));
    if (crc !== v.getUint32(12, true)) throw corrupt(`checksum mismatch (stored ${v.getUint32(12, true).toString(16)}, computed ${crc.toString(16)})`);
    const s = decodeSnapshot(body, { maxBytes: this.maxBytes });
    const m = NAME_RE.exec(file);
    if (m && (parseInt(m[1]!, 16) !== s.meta.index || parseInt(m[2]!, 16) !== s.meta.term)) {
      throw corrupt(`name says index ${parseInt(m[1]!, 16)} term ${parseInt(m[2]!, 16)}, contents say ${s.meta.index}/${s.meta.term}`);
    }
    return s;
  }

  /** Files beyond the newest `keep`: what a save prunes. */
  private stale(): string[] {
    return this.list().slice(this.keep);
  }

  private prune(): void {
    const stale = this.stale();
    for (const f of stale) fs.rmSync(join(this.dir, f), { force: true });
    if (stale.length) fsyncDir(this.dir);
  }
}
