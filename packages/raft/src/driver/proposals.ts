// Proposals appended by this member and not yet applied, keyed by log index.
// A proposal resolves only when the entry applied at its index has the term
// it was proposed in; any other term means a leader change replaced it.

import { performance } from "node:perf_hooks";
import type { Entry, NodeId, RaftMetrics } from "../types.js";
import { outcomeUnknown, overwritten } from "./errors.js";

export interface ProposeResult<R> {
  readonly term: number;
  readonly index: number;
  readonly result: R;
}

interface Pending {
  readonly term: number;
  readonly t0: number;
  readonly resolve: (r: ProposeResult<unknown>) => void;
  readonly reject: (e: unknown) => void;
}

export class PendingProposals {
  private readonly byIndex = new Map<number, Pending>();

  constructor(private readonly metrics: RaftMetrics) {}

  add(at: { term: number; index: number }, t0: number, resolve: Pending["resolve"], reject: Pending["reject"], leader: NodeId | null): void {
    // A reused index means our earlier entry there was truncated away.
    const prev = this.byIndex.get(at.index);
    if (prev) this.fail(prev, overwritten(at.index, prev.term, at.term, leader), "overwritten");
    this.byIndex.set(at.index, { term: at.term, t0, resolve, reject });
  }

  /** Settles the proposal at `e.index` (if it is ours) now that `e` was applied with `result` or `failure`. */
  applied(e: Entry, result: unknown, failure: unknown, leader: NodeId | null): void {
    const p = this.byIndex.get(e.index);
    if (!p) return;
    this.byIndex.delete(e.index);
    if (p.term !== e.term) this.fail(p, overwritten(e.index, p.term, e.term, leader), "overwritten");
    else if (failure) this.fail(p, failure, "applyFailed");
    else {
      this.metrics.proposalCommitted?.();
      this.metrics.commitLatencySeconds?.((performance.now() - p.t0) / 1000);
      p.resolve({ term: e.term, index: e.index, result });
    }
  }

  /** A snapshot replaced our log up to `index`: which of those entries committed is not knowable here. */
  replacedBySnapshot(index: number): void {
    for (const [i, p] of this.byIndex) {
      if (i > index) continue;
      this.byIndex.delete(i);
      this.fail(p, outcomeUnknown(i, `a snapshot up to index ${index} replaced this member's log`), "unknown");
    }
  }

  failAll(errorFor: (index: number) => unknown): void {
    for (const [i, p] of this.byIndex) this.fail(p, errorFor(i), "stopped");
    this.byIndex.clear();
  }

  private fail(p: Pending, err: unknown, reason: string): void {
    this.metrics.proposalFailed?.(reason);
    p.reject(err);
  }
}
