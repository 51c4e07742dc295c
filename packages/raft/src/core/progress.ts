// The leader's view of one follower's log (etcd tracker/progress.go).
// Invariants: match < next; in "replicate" the leader sends optimistically
// (next advances on send) bounded by `inflights`; in "probe" it sends at most
// one append per heartbeat interval until it learns the match point; in
// "snapshot" it sends nothing until the snapshot is reported.

export type ProgressState = "probe" | "replicate" | "snapshot";

/** A sliding window of the last indexes of in-flight appends (flow control). */
export class Inflights {
  private readonly items: number[] = [];
  constructor(readonly capacity: number) {}
  add(lastIndex: number): void {
    this.items.push(lastIndex);
  }
  /** An appendResp acknowledged everything up to `index`. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.items.length && this.items[n]! <= index) n++;
    if (n > 0) this.items.splice(0, n);
  }
  freeFirstOne(): void {
    this.items.shift();
  }
  full(): boolean {
    return this.items.length >= this.capacity;
  }
  count(): number {
    return this.items.length;
  }
  reset(): void {
    this.items.length = 0;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** Index of the snapshot in flight while state is "snapshot". */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Leader tick at which the newest heartbeat this peer acknowledged was sent (lease reads). */
  lastAckTick = Number.NEGATIVE_INFINITY;
  /** Probe state: an append is outstanding; wait for its answer or the next heartbeat. */
  probeSent = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(next: number, maxInflight: number, isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, resume after it even if the follower has not acked yet.
    if (this.state === "snapshot") {
      const pending = this.pendingSnapshot;
      this.resetState("probe");
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState("probe");
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState("replicate");
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState("snapshot");
    this.pendingSnapshot = snapshotIndex;
  }

  /** An appendResp acknowledged `n`; returns whether match advanced. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** An append carrying entries up to `last` was sent in replicate state. */
  sentEntries(last: number): void {
    if (this.state === "replicate") {
      this.next = last + 1;
      this.inflights.add(last);
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  /**
   * An append at `rejected` was refused; `hint` is the follower's best guess
   * of the match point. Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }
}
