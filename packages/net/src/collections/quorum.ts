// Quorum reads: a reader asks several members and yields an entry once k of
// them served identical (slot, data) for its seq. Pure: sessions feed
// offers in, the iterator takes agreed entries out.
//
// Start: the first seq to reach k matching offers becomes the cursor. Each
// provider streams in seq order from the same first slot, so any earlier seq
// those k providers agreed on would have reached k first. From then on
// delivery is strictly consecutive; a seq on which providers equivocate
// stalls delivery (safety over liveness) until k of them agree.
//
// Memory: a session may read a frame only while its next seq is within
// `window` of the oldest entry not yet taken (accepts()), so at most
// `window` entries plus one frame per provider are held.
import { createHash } from "node:crypto";
import type { CollectionEntry } from "./entry.js";
import { CollectionError } from "./errors.js";

interface Ballot {
  entry: CollectionEntry;
  voters: Set<string>;
}

export class QuorumAgreement {
  private readonly votes = new Map<number, Map<string, Ballot>>();
  private readonly ready: CollectionEntry[] = [];
  private cursorSeq: number | null = null;

  constructor(
    readonly k: number,
    readonly window: number,
  ) {
    if (!Number.isInteger(k) || k < 1) {
      throw new CollectionError("COLLECTION_CONFIG", `Quorum k is ${k}; expected an integer ≥ 1.`, { fields: { k } });
    }
    if (!Number.isInteger(window) || window < 1) {
      throw new CollectionError("COLLECTION_CONFIG", `Quorum window is ${window}; expected an integer ≥ 1.`, { fields: { window } });
    }
  }

  /** Next seq to deliver (null before the first agreement). */
  get cursor(): number | null {
    return this.cursorSeq;
  }

  /**
   * Whether a session whose next entry is `seq` (null: not known yet) may read
   * another frame; sessions wait while false. Before the first agreement a
   * session whose seq already has a ballot may always proceed, so a fast
   * provider cannot lock out the ones it needs to agree with.
   */
  accepts(seq: number | null): boolean {
    if (this.cursorSeq === null) return seq === null || this.votes.has(seq) || this.votes.size < this.window;
    if (seq === null) return true;
    // Agreed entries the consumer has not taken yet count against the window too.
    return seq < this.cursorSeq - this.ready.length + this.window;
  }

  /** Seqs with pending ballots (bounded by the window). */
  get pending(): number {
    return this.votes.size;
  }

  offer(provider: string, entry: CollectionEntry): void {
    // Offers are never refused: a session checks accepts() before reading a
    // frame, so the overshoot is at most one frame per provider.
    if (this.cursorSeq !== null && entry.seq < this.cursorSeq) return;
    let ballots = this.votes.get(entry.seq);
    if (ballots === undefined) {
      ballots = new Map();
      this.votes.set(entry.seq, ballots);
    }
    const key = ballotKey(entry);
    for (const [k, b] of ballots) if (k !== key) b.voters.delete(provider);
    let ballot = ballots.get(key);
    if (ballot === undefined) {
      ballot = { entry, voters: new Set() };
      ballots.set(key, ballot);
    }
    ballot.voters.add(provider);
    if (this.cursorSeq === null && ballot.voters.size >= this.k) {
      this.cursorSeq = entry.seq;
      for (const s of [...this.votes.keys()]) if (s < entry.seq) this.votes.delete(s);
    }
    this.advance();
  }

  /** Takes the agreed entries, in seq order. */
  take(): CollectionEntry[] {
    return this.ready.splice(0, this.ready.length);
  }

  private advance(): void {
    while (this.cursorSeq !== null) {
      const ballots = this.votes.get(this.cursorSeq);
      if (ballots === undefined) return;
      let agreed: CollectionEntry | undefined;
      for (const b of ballots.values()) if (b.voters.size >= this.k) agreed = b.entry;
      if (agreed === undefined) return;
      this.ready.push(agreed);
      this.votes.delete(this.cursorSeq);
      this.cursorSeq++;
    }
  }
}

function ballotKey(e: CollectionEntry): string {
  return createHash("sha256").update(`${e.slot}:`).update(e.data).digest("base64");
}
