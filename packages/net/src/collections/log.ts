// A collection's slot-keyed, append-only log, kept in memory on every member.
// It is fed from the apply side of the committee's state machine, so it is
// rebuilt by replay after a restart and is identical on every member.
//
// Retention: the newest `maxEntries` entries and at most `maxBytes` of data
// are kept; older ones are evicted whole, oldest first. A reader asking for
// a slot whose entries were (partly) evicted gets COLLECTION_PRUNED with the
// first slot that can still be served in full.
import type { CollectionEntry } from "./entry.js";
import { CollectionError } from "./errors.js";
import { WIRE_MAX_ENTRY_BYTES } from "./codec.js";

export interface CollectionRetention {
  /** Default 100,000 entries. */
  maxEntries?: number;
  /** Default 256 MiB of entry data. */
  maxBytes?: number;
  /** Largest single entry; default 1 MiB (one entry must fit one wire frame). */
  maxEntryBytes?: number;
}

export const DEFAULT_RETENTION = { maxEntries: 100_000, maxBytes: 256 * 1024 * 1024, maxEntryBytes: 1024 * 1024 } as const;

export type CollectionStart = { readonly fromSlot: number } | { readonly fromSeq: number };

export class CollectionLog {
  readonly id: Uint8Array;
  private entries: CollectionEntry[] = [];
  private head = 0;
  private bytes = 0;
  private nextSeq = 1;
  /** Highest slot among evicted entries (-1: nothing evicted). */
  private evictedThroughSlot = -1;
  /** Set by reset(nextSeq > 1): entries before the next append were dropped, so its slot is partly evicted. */
  private resumedAfterPrune = false;
  private waiters: (() => void)[] = [];
  readonly limits: Required<CollectionRetention>;

  constructor(id: Uint8Array, retention: CollectionRetention = {}) {
    this.id = id;
    this.limits = { ...DEFAULT_RETENTION, ...retention };
    if (this.limits.maxEntryBytes > WIRE_MAX_ENTRY_BYTES) {
      throw new CollectionError(
        "COLLECTION_CONFIG",
        `retention.maxEntryBytes is ${this.limits.maxEntryBytes}; at most ${WIRE_MAX_ENTRY_BYTES} (one entry must fit one wire frame).`,
        { fields: { maxEntryBytes: this.limits.maxEntryBytes } },
      );
    }
  }

  /** Seq of the oldest retained entry (== lastSeq + 1 when empty). */
  get firstSeq(): number {
    return this.nextSeq - this.size;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  get lastSlot(): number | null {
    return this.size === 0 ? null : this.entries[this.entries.length - 1]!.slot;
  }

  /**
   * Appends one entry and returns its seq. Call only from deterministic
   * apply-side code (the committee's state machine), so every member numbers
   * entries the same.
   */
  append(slot: number, data: Uint8Array): number {
    if (!Number.isSafeInteger(slot) || slot < 0) {
      throw new CollectionError("COLLECTION_APPEND", `append: slot ${slot} is not a non-negative integer.`, { fields: { slot } });
    }
    const last = this.lastSlot ?? this.evictedThroughSlot;
    if (slot < last) {
      throw new CollectionError(
        "COLLECTION_APPEND",
        `append: slot ${slot} is below the collection's last slot ${last}; a collection is append-only by slot.`,
        { fields: { slot, lastSlot: last } },
      );
    }
    if (data.length > this.limits.maxEntryBytes) {
      throw new CollectionError(
        "COLLECTION_APPEND",
        `append: entry is ${data.length} bytes; at most ${this.limits.maxEntryBytes} (retention.maxEntryBytes).`,
        { fields: { length: data.length, max: this.limits.maxEntryBytes } },
      );
    }
    if (this.resumedAfterPrune) {
      // Earlier entries of this slot may have existed before the reset: a
      // reader asking for this slot or an earlier one must hear "pruned".
      this.evictedThroughSlot = Math.max(this.evictedThroughSlot, slot);
      this.resumedAfterPrune = false;
    }
    const seq = this.nextSeq++;
    this.entries.push({ seq, slot, data });
    this.bytes += data.length;
    while (this.size > 1 && (this.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes)) this.evictOldest();
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
    return seq;
  }

  /**
   * Empties the log for a state-machine restore, which then re-appends what
   * the snapshot still holds. `nextSeq` is the seq the first re-appended
   * entry gets: a snapshot that kept only the last k of N entries restores
   * with reset(N - k + 1), so the rebuilt log numbers its entries exactly as
   * the members that never restored, and a reader resuming by seq against
   * this member neither skips nor repeats (earlier seqs read as pruned).
   */
  reset(nextSeq = 1): void {
    if (!Number.isSafeInteger(nextSeq) || nextSeq < 1) {
      throw new CollectionError("COLLECTION_APPEND", `reset: nextSeq ${nextSeq} is not a positive integer.`, { fields: { nextSeq } });
    }
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
    this.nextSeq = nextSeq;
    this.evictedThroughSlot = -1;
    this.resumedAfterPrune = nextSeq > 1;
  }

  /** The seq a reader starting at `start` gets first; throws COLLECTION_PRUNED when that part is gone. */
  resolveStart(start: CollectionStart): number {
    if ("fromSeq" in start) {
      if (start.fromSeq < this.firstSeq) {
        throw this.pruned(`seq ${start.fromSeq}`, { fromSeq: start.fromSeq });
      }
      return start.fromSeq;
    }
    if (start.fromSlot <= this.evictedThroughSlot) {
      throw this.pruned(`slot ${start.fromSlot}`, { fromSlot: start.fromSlot });
    }
    // Binary search: first retained entry with slot >= fromSlot.
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.slot < start.fromSlot) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.entries.length ? this.entries[lo]!.seq : this.nextSeq;
  }

  /** Entries from `seq` on: at least one when available, then up to `maxBytes` of data and `maxCount` entries. */
  read(seq: number, maxBytes: number, maxCount = Number.MAX_SAFE_INTEGER): CollectionEntry[] {
    if (seq < this.firstSeq) throw this.pruned(`seq ${seq}`, { fromSeq: seq });
    const out: CollectionEntry[] = [];
    let size = 0;
    for (let i = this.head + (seq - this.firstSeq); i < this.entries.length && out.length < maxCount; i++) {
      const e = this.entries[i]!;
      if (out.length > 0 && size + e.data.length > maxBytes) break;
      out.push(e);
      size += e.data.length;
    }
    return out;
  }

  /** Resolves once an entry with this seq exists (or the signal aborts). */
  waitFor(seq: number, signal?: AbortSignal): Promise<void> {
    if (seq < this.nextSeq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal!.reason);
      const wake = (): void => {
        signal?.removeEventListener("abort", onAbort);
        if (seq < this.nextSeq) resolve();
        else this.waitFor(seq, signal).then(resolve, reject);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(wake);
    });
  }

  private evictOldest(): void {
    const e = this.entries[this.head]!;
    this.head++;
    this.bytes -= e.data.length;
    this.evictedThroughSlot = e.slot;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private pruned(what: string, fields: Record<string, unknown>): CollectionError {
    const first = this.size > 0 ? this.entries[this.head]! : null;
    const earliestSlot = first === null ? null : first.slot === this.evictedThroughSlot ? first.slot + 1 : first.slot;
    return new CollectionError(
      "COLLECTION_PRUNED",
      `Collection entries from ${what} were evicted by retention (maxEntries ${this.limits.maxEntries}, maxBytes ${this.limits.maxBytes}); ` +
        `the earliest complete start is seq ${this.firstSeq}${earliestSlot === null ? "" : ` or slot ${earliestSlot}`}.`,
      { fields: { ...fields, firstSeq: this.firstSeq, earliestSlot } },
    );
  }
}
