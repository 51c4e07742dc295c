// Snapshot files, written atomically and kept newest-N. A snapshot is only
// referenced (WAL marker, WAL compaction) after save() returned, i.e. after
// its file and the directory entry are durable.
//
// File: "BLRAFTSN" | u32 bodyLength | u32 crc32c(lengthBytes ++ body) | body
// where body = encodeSnapshot(snapshot) from ../codec.ts.

import fs from "node:fs";
import { join } from "node:path";
import { decodeSnapshot, encodeSnapshot } from "../codec.js";
import type { Snapshot } from "../types.js";
import { crc32c } from "./crc32c.js";
import { invalidOption, RaftStorageError } from "./errors.js";
import { fsyncDir } from "./fs-util.js";

const MAGIC = new TextEncoder().encode("BLRAFTSN");
const HEADER_BYTES = 16;
const NAME_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;
const hex16 = (n: number): string => n.toString(16).padStart(16, "0");

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
    const body = encodeSnapshot(s);
    if (body.length + HEADER_BYTES > this.maxBytes) {
      throw new RaftStorageError(
        "RAFT_SNAPSHOT_TOO_LARGE",
        `Snapshot at index ${s.meta.index} is ${body.length + HEADER_BYTES} bytes, above maxBytes ${this.maxBytes}; raise SnapshotStoreOptions.maxBytes.`,
        { index: s.meta.index, bytes: body.length + HEADER_BYTES, maxBytes: this.maxBytes },
      );
    }
    const head = new Uint8Array(HEADER_BYTES);
    head.set(MAGIC, 0);
    const v = new DataView(head.buffer);
    v.setUint32(8, body.length, true);
    v.setUint32(12, crc32c(body, crc32c(head.subarray(8, 12))), true);

    const name = `${hex16(s.meta.index)}-${hex16(s.meta.term)}.snap`;
    const tmp = join(this.dir, `${name}.tmp`);
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeSync(fd, head);
      let off = 0;
      while (off < body.length) off += fs.writeSync(fd, body, off, body.length - off);
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

  private prune(): void {
    const files = this.list();
    for (const f of files.slice(this.keep)) fs.rmSync(join(this.dir, f), { force: true });
    if (files.length > this.keep) fsyncDir(this.dir);
  }
}
