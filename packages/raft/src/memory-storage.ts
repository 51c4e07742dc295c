// In-memory LogStorage (etcd's MemoryStorage): the reference implementation
// the simulation uses as "durable" state and the WAL-backed storage mirrors.
import { CompactedError, SnapshotOutOfDateError, UnavailableError, RaftError } from "./errors.js";
import type { ConfState, Entry, HardState, LogStorage, Snapshot } from "./types.js";

/** Approximate encoded size of an entry, used for maxBytes limits everywhere. */
export function entrySize(e: Entry): number {
  return e.data.length + 16;
}

/** Entries [0, n) of `ents` whose cumulative size stays within maxBytes; always at least one. */
export function limitSize<T extends Entry>(ents: T[], maxBytes: number | undefined): T[] {
  if (maxBytes === undefined || ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

export class MemoryStorage implements LogStorage {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private conf: ConfState;
  private snap: Snapshot;
  /** ents[0] is a dummy standing for the snapshot's (index, term); real entries follow. */
  private ents: Entry[];

  constructor(conf: ConfState = { voters: [], learners: [] }) {
    this.conf = conf;
    this.snap = { meta: { index: 0, term: 0, conf }, data: new Uint8Array() };
    this.ents = [{ index: 0, term: 0, kind: "noop", data: new Uint8Array() }];
  }

  /**
   * Storage for a founding member of a new group. The initial membership is
   * recorded as a snapshot at (index 1, term 1) holding the state machine's
   * empty snapshot, so a member added later learns the founding voters from
   * the snapshot the leader must send it (its log would start below index 2).
   */
  static bootstrap(conf: ConfState, stateMachineSnapshot: Uint8Array): MemoryStorage {
    const s = new MemoryStorage(conf);
    s.applySnapshot({ meta: { index: 1, term: 1, conf }, data: stateMachineSnapshot });
    s.setHardState({ term: 1, vote: null, commit: 1 });
    return s;
  }

  initialState(): { hardState: HardState; conf: ConfState } {
    return { hardState: this.hardState, conf: this.conf };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /**
   * Record the membership. initialState().conf must describe the membership
   * as of the index the caller restarts from (RaftConfig.applied); committed
   * conf entries above it are re-delivered and re-applied.
   */
  setConfState(conf: ConfState): void {
    this.conf = conf;
  }

  private offset(): number {
    return this.ents[0]!.index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(index: number): number {
    const off = this.offset();
    if (index < off) throw new CompactedError(index, off + 1);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    return this.ents[index - off]!.term;
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new CompactedError(lo, off + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    return limitSize(this.ents.slice(lo - off, hi - off), maxBytes);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces everything with the snapshot (a follower installing the leader's snapshot). */
  applySnapshot(snap: Snapshot): void {
    if (snap.meta.index < this.snap.meta.index) throw new SnapshotOutOfDateError(snap.meta.index, this.snap.meta.index);
    this.snap = snap;
    this.conf = snap.meta.conf;
    this.ents = [{ index: snap.meta.index, term: snap.meta.term, kind: "noop", data: new Uint8Array() }];
  }

  /** Makes a snapshot at `index` (<= applied) so the log can be compacted up to it. */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) throw new SnapshotOutOfDateError(index, this.snap.meta.index);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    this.snap = { meta: { index, term: this.term(index), conf }, data };
    // A restart resumes from this snapshot (applied = its index), so the
    // membership it reports must be the one as of that index.
    this.conf = conf;
    return this.snap;
  }

  /** Discards entries up to and including `index` (which must be <= the last applied index). */
  compact(index: number): void {
    const off = this.offset();
    if (index <= off) throw new CompactedError(index, off + 1);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const dummy: Entry = { index, term: this.ents[index - off]!.term, kind: "noop", data: new Uint8Array() };
    this.ents = [dummy, ...this.ents.slice(index - off + 1)];
  }

  /** Appends persisted entries, truncating any existing suffix from entries[0].index. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[entries.length - 1]!.index;
    if (last < first) return; // all already compacted
    let ents = entries;
    if (ents[0]!.index < first) ents = ents.slice(first - ents[0]!.index);
    const start = ents[0]!.index;
    if (start > this.lastIndex() + 1) {
      throw new RaftError("RAFT_STORAGE", `MemoryStorage.append: entry index ${start} leaves a gap after last index ${this.lastIndex()}; append contiguous entries.`);
    }
    // In place: copying the whole log per append made each write O(log length).
    this.ents.length = start - this.offset();
    for (const e of ents) this.ents.push(e);
  }

  /** A deep-enough copy for crash simulation (entries are immutable). */
  clone(): MemoryStorage {
    const c = new MemoryStorage(this.conf);
    c.hardState = this.hardState;
    c.snap = this.snap;
    c.ents = this.ents.slice();
    return c;
  }
}
