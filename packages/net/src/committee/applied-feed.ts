// Applied entries, as the committee's state machine applies them, with their
// results: synchronous listeners, and async iterators that buffer a bounded
// number of entries. A consumer that falls further behind gets
// COMMITTEE_CONSUMER_LAGGED instead of growing memory without limit (it can
// re-read what it missed from its own state, or subscribe again).
import type { ApplyContext } from "@builder/raft";
import { CommitteeError } from "./errors.js";

export interface AppliedEntry<R> {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
  readonly result: R;
}

export class AppliedFeed<R> {
  private readonly listeners = new Set<(e: AppliedEntry<R>) => void>();

  emit(data: Uint8Array, ctx: ApplyContext, result: R): void {
    if (this.listeners.size === 0) return;
    // Copy: the driver's buffer may be reused once apply returns.
    const e: AppliedEntry<R> = { index: ctx.index, term: ctx.term, data: data.slice(), result };
    for (const l of this.listeners) l(e);
  }

  /** Called synchronously inside apply: keep it cheap and never throw. Returns an unsubscribe function. */
  on(listener: (e: AppliedEntry<R>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Entries applied from now on, until `signal` aborts or the committee stops. */
  async *iterate(opts: { maxBuffered?: number; signal?: AbortSignal } = {}): AsyncGenerator<AppliedEntry<R>, void, undefined> {
    const max = opts.maxBuffered ?? 10_000;
    const buf: AppliedEntry<R>[] = [];
    let lagged: CommitteeError | null = null;
    let wake: (() => void) | null = null;
    const off = this.on((e) => {
      if (lagged) return;
      if (buf.length >= max) {
        lagged = new CommitteeError(
          "COMMITTEE_CONSUMER_LAGGED",
          `A committed-entries consumer fell ${max} entries behind (maxBuffered) at index ${e.index}; consume faster or raise maxBuffered.`,
          { fields: { index: e.index, maxBuffered: max }, temporary: true },
        );
      } else buf.push(e);
      wake?.();
    });
    const onAbort = (): void => wake?.();
    opts.signal?.addEventListener("abort", onAbort);
    try {
      for (;;) {
        const e = buf.shift();
        if (e !== undefined) {
          yield e;
          continue;
        }
        if (lagged) throw lagged;
        if (opts.signal?.aborted) return;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    } finally {
      off();
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }
}
