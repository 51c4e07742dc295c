// A count over fixed windows of rounds (window k = rounds [k·w, (k+1)·w)),
// shared by the aggregator's envelope limit and the client's talk budget so
// both sides cut windows at the same rounds.
export class RoundWindowCounter {
  /** window → count; holds at most the two newest windows touched. */
  private readonly counts = new Map<number, number>();

  constructor(readonly windowRounds: number) {}

  windowOf(round: number): number {
    return Math.floor(round / this.windowRounds);
  }

  /** Count so far in the window holding `round`. */
  count(round: number): number {
    return this.counts.get(this.windowOf(round)) ?? 0;
  }

  /** Add `k` (may be negative; the count never drops below zero) to the window holding `round`. */
  add(round: number, k: number): void {
    const w = this.windowOf(round);
    this.counts.set(w, Math.max(0, (this.counts.get(w) ?? 0) + k));
    // A client's rounds only move forward, and a talk reservation spans at most the
    // next window (reservation in r, message in r+1): older windows are finished.
    for (const old of this.counts.keys()) if (old < w - 1) this.counts.delete(old);
  }
}
