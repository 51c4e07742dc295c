// raftLog: the stable prefix lives in LogStorage; the unstable suffix (and a
// snapshot received from the leader) lives here until the caller persists it
// and calls advance(). Invariant: unstable.entries[i].index === offset + i,
// and offset <= storage.lastIndex() + 1.
import { CompactedError, RaftInvariantError, UnavailableError } from "../errors.js";
import { limitSize } from "../memory-storage.js";
import type { Entry, LogStorage, Snapshot } from "../types.js";

export class RaftLog {
  readonly storage: LogStorage;
  unstableSnapshot: Snapshot | null = null;
  unstable: Entry[] = [];
  offset: number;
  /** Highest index known to be committed by a quorum. */
  committed: number;
  /** Highest index handed to the application (in a Ready) and acknowledged via advance(). */
  applied: number;

  constructor(storage: LogStorage, committed: number, applied: number) {
    this.storage = storage;
    this.offset = storage.lastIndex() + 1;
    this.committed = committed;
    this.applied = applied;
  }

  firstIndex(): number {
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.offset + this.unstable.length - 1;
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  /**
   * The last index the caller has reported durable via advance(): everything
   * below `offset` is in storage. A snapshot not yet persisted makes nothing
   * of the current log durable, so 0 then (only followers receive one).
   */
  persistedIndex(): number {
    return this.unstableSnapshot ? 0 : this.offset - 1;
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term at `index`; throws CompactedError / UnavailableError outside [firstIndex-1, lastIndex]. */
  term(index: number): number {
    const dummy = this.firstIndex() - 1;
    if (index < dummy) throw new CompactedError(index, dummy + 1);
    const last = this.lastIndex();
    if (index > last) throw new UnavailableError(index, last);
    if (index >= this.offset && this.unstable.length > 0) return this.unstable[index - this.offset]!.term;
    if (this.unstableSnapshot && index === this.unstableSnapshot.meta.index) return this.unstableSnapshot.meta.term;
    return this.storage.term(index);
  }

  /** Term at `index`, or 0 when it is compacted or unavailable (etcd's zeroTermOnOutOfBounds). */
  termOr0(index: number): number {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return 0;
    return this.term(index);
  }

  /** False outside [firstIndex-1, lastIndex]: a compacted index cannot be checked. */
  matchTerm(index: number, term: number): boolean {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return false;
    return this.term(index) === term;
  }

  /** Raft §5.4.1: a log is more up to date by last term, then by length. */
  isUpToDate(lastIndex: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && lastIndex >= this.lastIndex());
  }

  /** Entries [lo, hi), at least one if lo < hi, within maxBytes. */
  slice(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo >= hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    let ents: Entry[] = [];
    if (lo < this.offset) {
      ents = this.storage.entries(lo, Math.min(hi, this.offset), maxBytes);
      if (ents.length < Math.min(hi, this.offset) - lo) return ents; // size limit hit in storage
    }
    if (hi > this.offset) {
      const u = this.unstable.slice(Math.max(lo, this.offset) - this.offset, hi - this.offset);
      ents = ents.length > 0 ? ents.concat(u) : u;
    }
    return limitSize(ents, maxBytes);
  }

  /**
   * The index of the first entry in `ents` that is not already in the log
   * with the same term, or 0 if all match (Raft §5.3: a conflicting suffix
   * must be deleted; matching entries must not be, since they may be committed).
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Largest index <= `index` whose term is <= `term` (fast backtracking: the
   * leader can skip every entry of a term the follower cannot agree with).
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    const floor = this.firstIndex() - 1;
    while (i > floor) {
      if (this.term(i) <= term) return i;
      i--;
    }
    return i;
  }

  /** Follower side of AppendEntries; returns the last new index, or null on a log mismatch. */
  maybeAppend(prevIndex: number, prevTerm: number, committed: number, ents: readonly Entry[]): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) throw new RaftInvariantError(`entry ${ci} conflicts with the committed prefix (committed ${this.committed})`);
      this.append(ents.slice(ci - prevIndex - 1));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const after = ents[0]!.index;
    if (after - 1 < this.committed) throw new RaftInvariantError(`appending at ${after} would overwrite committed index ${this.committed}`);
    if (after === this.offset + this.unstable.length) {
      this.unstable = this.unstable.concat(ents);
    } else if (after <= this.offset) {
      // The new entries replace everything unstable (and a stable suffix the caller will truncate).
      this.offset = after;
      this.unstable = ents.slice();
    } else {
      this.unstable = this.unstable.slice(0, after - this.offset).concat(ents);
    }
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      if (index > this.lastIndex()) throw new RaftInvariantError(`commit ${index} is beyond the last index ${this.lastIndex()}`);
      this.committed = index;
    }
  }

  /** Figure 8: only an entry of the current term is committed by counting replicas. */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.termOr0(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  /** Committed entries not yet applied, within maxBytes. */
  nextCommitted(maxBytes?: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 <= lo) return [];
    return this.slice(lo, this.committed + 1, maxBytes);
  }

  hasNextCommitted(): boolean {
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
  }

  /** The caller persisted entries up to (index, term): drop them from the unstable suffix. */
  stableTo(index: number, term: number): void {
    if (index < this.offset || index >= this.offset + this.unstable.length) return;
    if (this.unstable[index - this.offset]!.term !== term) return; // replaced since the Ready was taken
    this.unstable = this.unstable.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.unstableSnapshot && this.unstableSnapshot.meta.index === index) this.unstableSnapshot = null;
  }

  restore(snap: Snapshot): void {
    this.committed = snap.meta.index;
    this.unstableSnapshot = snap;
    this.unstable = [];
    this.offset = snap.meta.index + 1;
  }

  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }
}
