// The talk-rate limit, enforced by the client (in production, inside its TEE):
// at most `maxDataRounds` data-carrying envelopes (a reservation or a message)
// per window of `windowRounds` rounds. The aggregator cannot enforce this
// without learning who talks (docs/adr/0005). A datum costs at least two data
// rounds: its reservation, then its message. Pure; time is the round number.
import { ZipnetError } from "../errors.js";
import { RoundWindowCounter } from "./round-window.js";

export interface TalkBudgetPolicy {
  readonly maxDataRounds: number;
  readonly windowRounds: number;
}

export class TalkBudget {
  private readonly used: RoundWindowCounter;

  constructor(readonly policy: TalkBudgetPolicy) {
    if (!Number.isInteger(policy.windowRounds) || policy.windowRounds < 1 || !Number.isInteger(policy.maxDataRounds) || policy.maxDataRounds < 0) {
      throw new ZipnetError("ZIPNET_PARAMS_INVALID", "TalkBudgetPolicy: need integers windowRounds >= 1 and maxDataRounds >= 0.", {
        windowRounds: policy.windowRounds,
        maxDataRounds: policy.maxDataRounds,
      });
    }
    this.used = new RoundWindowCounter(policy.windowRounds);
  }

  /** Data rounds still free in the window holding `round`. */
  remaining(round: number): number {
    return Math.max(0, this.policy.maxDataRounds - this.used.count(round));
  }

  /** Take one data round in each of `rounds` if all fit (the same window may appear twice); else take none. */
  take(rounds: readonly number[]): boolean {
    const need = new Map<number, number>();
    for (const r of rounds) need.set(this.used.windowOf(r), (need.get(this.used.windowOf(r)) ?? 0) + 1);
    for (const r of rounds) if (this.policy.maxDataRounds - this.used.count(r) < need.get(this.used.windowOf(r))!) return false;
    for (const r of rounds) this.used.add(r, 1);
    return true;
  }

  /** Give back a data round taken for `round` that will not be sent. */
  refund(round: number): void {
    this.used.add(round, -1);
  }
}
