// Rebuilding (hard state, log after the snapshot) from WAL records in write
// order. Pure: the caller scans files and feeds records in.

import type { Entry, HardState } from "../types.js";
import { RaftStorageError } from "./errors.js";
import type { WalRecord } from "./wal-record.js";

/** Replays records into (hardState, entries after the snapshot), applying suffix overwrites. */
export class Replay {
  hardState: HardState | null = null;
  entries: Entry[] = [];
  /** Term the WAL itself holds at the snapshot index (undefined when that entry is not in the WAL). */
  private termAtBase: number | undefined;
  constructor(
    private readonly base: number,
    private readonly baseTerm: number,
  ) {}

  /**
   * A crash after a received snapshot was saved but before its marker was
   * fsynced leaves the old log in the WAL. Entries above the snapshot only
   * continue it if the WAL agrees on the term at the snapshot index (Log
   * Matching); otherwise they are a stale, uncommitted suffix and are dropped.
   */
  finish(): Entry[] {
    if (this.base > 0 && this.termAtBase !== undefined && this.termAtBase !== this.baseTerm) this.entries = [];
    return this.entries;
  }

  apply(r: WalRecord, segment: string, offset: number): void {
    switch (r.type) {
      case "segmentHeader":
        return;
      case "hardState":
        this.hardState = r.hardState;
        return;
      case "snapshotMarker":
        if (r.index > this.base) {
          throw new RaftStorageError(
            "RAFT_WAL_SNAPSHOT_MISSING",
            `The WAL says a snapshot at index ${r.index} was installed, but the newest readable snapshot is at ${this.base}: the snapshot file is missing or damaged, so the log before it cannot be rebuilt. Restore this member from a peer.`,
            { segment, offset, markerIndex: r.index, snapshotIndex: this.base },
          );
        }
        // Installing a snapshot discarded the whole log; what follows starts after it.
        this.entries.length = 0;
        this.termAtBase = r.index === this.base ? r.term : undefined;
        return;
      case "entry": {
        const i = r.entry.index;
        const last = this.base + this.entries.length;
        if (i <= this.base) {
          // Covered by the snapshot. A record this low written after higher ones
          // replaced the suffix, so anything we hold above the snapshot is stale.
          this.entries.length = 0;
          if (i === this.base) this.termAtBase = r.entry.term;
          else if (i < this.base) this.termAtBase = undefined;
          return;
        }
        if (i > last + 1) {
          throw new RaftStorageError(
            "RAFT_WAL_GAP",
            `WAL entry ${i} does not follow the log, whose last index is ${last}: entries ${last + 1}..${i - 1} are missing.`,
            { segment, offset, index: i, lastIndex: last, snapshotIndex: this.base },
          );
        }
        this.entries.length = i - this.base - 1;
        this.entries.push(r.entry);
        return;
      }
    }
  }
}
