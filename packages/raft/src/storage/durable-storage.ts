// LogStorage on disk: a MemoryStorage the core reads, mirrored by the WAL and
// the snapshot store so it can be rebuilt after a crash. The core only ever
// reads the in-memory copy; every write goes to disk first (in save()).

import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { MemoryStorage } from "../memory-storage.js";
import type { ConfState, Entry, HardState, LogStorage, RaftMetrics, Ready, Snapshot } from "../types.js";
import { lockDataDir, type DirLock, type LockOwner } from "./dir-lock.js";
import { invalidOption } from "./errors.js";
import { SnapshotStore, type SkippedSnapshot, type SnapshotStoreOptions } from "./snapshot-store.js";
import { Wal } from "./wal.js";
import type { WalRecord } from "./wal-record.js";
import type { TornTail } from "./wal-scan.js";

export interface DurableStorageOptions {
  readonly wal?: { readonly segmentBytes?: number; readonly maxRecordBytes?: number; readonly preallocateBytes?: number };
  readonly snapshots?: Omit<SnapshotStoreOptions, "beforeRename">;
  /**
   * Entries kept in memory below a new snapshot, so a follower slightly
   * behind still gets entries instead of a whole snapshot (etcd's
   * SnapshotCatchUpEntries idea). Default 1000.
   */
  readonly retainEntries?: number;
  readonly metrics?: RaftMetrics;
}

export interface DurableRecovery {
  readonly snapshotIndex: number;
  readonly entries: number;
  readonly tornTail: TornTail | null;
  /** Zeros after the WAL's last record: preallocated space (an unsynced tail the disk never wrote reads the same). */
  readonly zeroTailBytes: number;
  /** Snapshot files newer than the one loaded that failed verification. */
  readonly skippedSnapshots: readonly SkippedSnapshot[];
  /** The owner of a LOCK file left behind by a process that no longer runs (replaced on open). */
  readonly staleLock: LockOwner | null;
}

/** The part of a Ready that storage persists. */
export type PersistableReady = Pick<Ready, "snapshot" | "entries" | "hardState" | "mustSync">;

export class DurableStorage implements LogStorage {
  private snapshotWrites: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly memory: MemoryStorage,
    private readonly wal: Wal,
    private readonly store: SnapshotStore,
    readonly recovery: DurableRecovery,
    private readonly retainEntries: number,
    private readonly metrics: RaftMetrics | undefined,
    private readonly lock: DirLock,
  ) {}

  /**
   * Opens `dir` (creating it), loading the newest valid snapshot and replaying
   * the WAL after it. Takes the directory's LOCK first: a directory another
   * running process has open is refused (RAFT_WAL_LOCKED).
   */
  static open(dir: string, opts: DurableStorageOptions = {}): DurableStorage {
    const retain = opts.retainEntries ?? 1000;
    if (!Number.isSafeInteger(retain) || retain < 0) throw invalidOption("retainEntries", opts.retainEntries, "a non-negative integer");
    const lock = lockDataDir(dir);
    try {
      return DurableStorage.load(dir, opts, retain, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private static load(dir: string, opts: DurableStorageOptions, retain: number, lock: DirLock): DurableStorage {
    const store = SnapshotStore.open(join(dir, "snap"), opts.snapshots);
    const loaded = store.loadNewest();
    const snap = loaded.snapshot;
    const { wal, recovery } = Wal.open(join(dir, "wal"), { ...opts.wal, ...(snap ? { snapshot: snap.meta } : {}) });
    const memory = new MemoryStorage();
    if (snap) memory.applySnapshot(snap);
    memory.append(recovery.entries);
    const hs = reconcileHardState(recovery.hardState, snap);
    if (hs) memory.setHardState(hs);
    return new DurableStorage(
      dir,
      memory,
      wal,
      store,
      { snapshotIndex: snap?.meta.index ?? 0, entries: recovery.entries.length, tornTail: recovery.tornTail, zeroTailBytes: recovery.zeroTailBytes, skippedSnapshots: loaded.skipped, staleLock: lock.replacedStale },
      retain,
      opts.metrics,
      lock,
    );
  }

  /** True for a fresh directory: nothing was ever persisted. */
  isEmpty(): boolean {
    const hs = this.memory.initialState().hardState;
    return this.memory.snapshot().meta.index === 0 && this.memory.lastIndex() === 0 && hs.term === 0;
  }

  /**
   * Founds a new group (MemoryStorage.bootstrap's layout): the initial
   * membership as a durable snapshot at (1, 1) plus a durable hard state.
   */
  bootstrap(conf: ConfState, stateMachineSnapshot: Uint8Array): void {
    const snap: Snapshot = { meta: { index: 1, term: 1, conf }, data: stateMachineSnapshot };
    const hs: HardState = { term: 1, vote: null, commit: 1 };
    this.store.save(snap);
    this.wal.append([{ type: "snapshotMarker", index: 1, term: 1 }, { type: "hardState", hardState: hs }]);
    this.wal.syncNow();
    this.memory.applySnapshot(snap);
    this.memory.setHardState(hs);
  }

  /**
   * Step 1 of handling a Ready: snapshot, then entries, then hard state, in
   * one WAL write; resolves after the fsync when `mustSync`. No message that
   * depends on this state may be sent before it resolves.
   */
  async save(rd: PersistableReady): Promise<void> {
    const recs: WalRecord[] = [];
    const installed = rd.snapshot !== null && rd.snapshot.meta.index > this.memory.snapshot().meta.index;
    if (rd.snapshot && installed) {
      // The file must be durable before the WAL marker refers to it.
      this.store.save(rd.snapshot);
      recs.push({ type: "snapshotMarker", index: rd.snapshot.meta.index, term: rd.snapshot.meta.term });
      this.memory.applySnapshot(rd.snapshot);
    }
    for (const entry of rd.entries) recs.push({ type: "entry", entry });
    if (rd.hardState) recs.push({ type: "hardState", hardState: rd.hardState });
    this.wal.append(recs);
    if (rd.entries.length) this.memory.append(rd.entries);
    if (rd.hardState) this.memory.setHardState(rd.hardState);
    // A snapshot's marker is synced too, even if the core did not ask: the
    // follower acknowledges the snapshot right after this returns.
    if (rd.mustSync || installed) {
      const t0 = performance.now();
      await this.wal.sync();
      this.metrics?.fsyncLatencySeconds?.((performance.now() - t0) / 1000);
    }
  }

  /** Records the membership as of the applied index; it reaches disk with the next snapshot. */
  setConfState(conf: ConfState): void {
    this.memory.setConfState(conf);
  }

  /**
   * Takes a snapshot at `index` (<= applied) and compacts. Memory changes at
   * once (the core reads the new snapshot, and keeps `retainEntries` below
   * it); the file is written on the thread pool, and only once it is durable
   * does the WAL drop the segments covered by the oldest snapshot still on
   * disk, so a crash before then recovers from the previous snapshot and the
   * whole WAL. Resolves when both are done; writes run one at a time. Must
   * not be called while save() is pending (the memory part).
   */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Promise<Snapshot> {
    const snap = this.memory.createSnapshot(index, conf, data);
    const keepFrom = index - this.retainEntries;
    if (keepFrom >= this.memory.firstIndex()) this.memory.compact(keepFrom);
    const write = this.snapshotWrites.then(async () => {
      await this.store.saveAsync(snap);
      if (this.closed) return;
      const oldest = this.store.list().at(-1);
      await this.wal.compact(oldest ? parseInt(oldest.slice(0, 16), 16) : 0);
      return snap;
    });
    // The next write waits for this one, failed or not.
    this.snapshotWrites = write.then(
      () => undefined,
      () => undefined,
    );
    return write.then(() => snap);
  }

  get walSegments(): number {
    return this.wal.segmentCount;
  }

  /** Closes the WAL and releases the directory. A snapshot write still in flight completes without compacting it. */
  close(): void {
    this.closed = true;
    try {
      this.wal.close();
    } finally {
      this.lock.release();
    }
  }

  // ---- LogStorage: reads go to the in-memory mirror ----
  initialState(): { hardState: HardState; conf: ConfState } {
    return this.memory.initialState();
  }
  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    return this.memory.entries(lo, hi, maxBytes);
  }
  term(index: number): number {
    return this.memory.term(index);
  }
  firstIndex(): number {
    return this.memory.firstIndex();
  }
  lastIndex(): number {
    return this.memory.lastIndex();
  }
  snapshot(): Snapshot {
    return this.memory.snapshot();
  }
}

/**
 * A crash between saving a received snapshot and fsyncing the next hard
 * state can leave commit below the snapshot; everything in a snapshot is
 * committed, so raise it rather than hand the core an impossible state.
 */
function reconcileHardState(hs: HardState | null, snap: Snapshot | null): HardState | null {
  if (!snap) return hs;
  const base = hs ?? { term: 0, vote: null, commit: 0 };
  if (base.commit >= snap.meta.index && base.term >= snap.meta.term) return base;
  // A vote belongs to its term: raising the term clears it.
  const term = Math.max(base.term, snap.meta.term);
  return { term, vote: term === base.term ? base.vote : null, commit: Math.max(base.commit, snap.meta.index) };
}

export function openDurableStorage(dir: string, opts: DurableStorageOptions = {}): DurableStorage {
  return DurableStorage.open(dir, opts);
}
