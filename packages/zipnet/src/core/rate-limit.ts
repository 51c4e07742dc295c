// Per-client token accounting for the aggregator: at most `maxDataEnvelopes`
// envelopes with data per client per window of `windowRounds` rounds; cover
// envelopes are free. Time is the round number, so this stays pure.
// Cost: one Map lookup per envelope.
import { ZipnetError } from "../errors.js";
import type { ClientId } from "../proto.js";

export interface RateLimitPolicy {
  readonly maxDataEnvelopes: number;
  readonly windowRounds: number;
}

export class RateLimiter {
  private readonly used = new Map<ClientId, { window: number; count: number }>();

  constructor(readonly policy: RateLimitPolicy) {
    if (!(policy.windowRounds >= 1) || !(policy.maxDataEnvelopes >= 0)) {
      throw new ZipnetError("ZIPNET_PARAMS_INVALID", "RateLimitPolicy: need windowRounds >= 1 and maxDataEnvelopes >= 0.", {
        windowRounds: policy.windowRounds,
        maxDataEnvelopes: policy.maxDataEnvelopes,
      });
    }
  }

  private windowOf(round: number): number {
    return Math.floor(round / this.policy.windowRounds);
  }

  /** Would a data envelope from `client` in `round` be within budget? */
  allows(client: ClientId, round: number): boolean {
    const u = this.used.get(client);
    const count = u && u.window === this.windowOf(round) ? u.count : 0;
    return count < this.policy.maxDataEnvelopes;
  }

  /** Spend one token; call only after the envelope was otherwise accepted. */
  consume(client: ClientId, round: number): void {
    const w = this.windowOf(round);
    const u = this.used.get(client);
    if (u && u.window === w) u.count++;
    else this.used.set(client, { window: w, count: 1 });
  }

  /** Forget clients whose window is over (bounds memory to active clients). */
  prune(round: number): void {
    const w = this.windowOf(round);
    for (const [c, u] of this.used) if (u.window < w) this.used.delete(c);
  }
}
