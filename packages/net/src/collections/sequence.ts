// Reader-side ordering: entries are delivered exactly in seq order, each once,
// across reconnects. A server resuming from an earlier seq (at-least-once)
// yields duplicates, which are skipped; a server skipping ahead would create a
// gap, which is a protocol violation and ends the session.
import { CollectionError } from "./errors.js";

export type SequenceVerdict = "deliver" | "duplicate";

export class SequenceTracker {
  /** Last seq delivered; null until the first entry. */
  private lastSeq: number | null;

  constructor(lastSeq: number | null = null) {
    this.lastSeq = lastSeq;
  }

  get last(): number | null {
    return this.lastSeq;
  }

  /** Where a reconnecting session resumes: the seq after the last one delivered. */
  resumeSeq(): number | null {
    return this.lastSeq === null ? null : this.lastSeq + 1;
  }

  accept(seq: number, provider = "server"): SequenceVerdict {
    if (!Number.isSafeInteger(seq) || seq < 1) {
      throw new CollectionError("COLLECTION_DECODE", `${provider} sent seq ${seq}; expected a positive integer.`, {
        fields: { provider, seq },
      });
    }
    if (this.lastSeq === null) {
      this.lastSeq = seq;
      return "deliver";
    }
    if (seq <= this.lastSeq) return "duplicate";
    if (seq !== this.lastSeq + 1) {
      throw new CollectionError(
        "COLLECTION_GAP",
        `${provider} sent seq ${seq} after ${this.lastSeq}; expected ${this.lastSeq + 1}. The session is reset and resumed from ${this.lastSeq + 1}.`,
        { fields: { provider, seq, expected: this.lastSeq + 1 }, temporary: true },
      );
    }
    this.lastSeq = seq;
    return "deliver";
  }
}
