// The aggregator's envelope-rate limit: at most `maxEnvelopes` envelopes per
// client per window of `windowRounds` rounds, talk and cover alike. It counts
// every envelope because an envelope carries nothing that says whether it
// talks (docs/adr/0005); the talk limit lives in the client (talk-budget.ts).
// Time is the round number, so this stays pure. Cost: one Map lookup per envelope.
import { ZipnetError } from "../errors.js";
import type { ClientId } from "../proto.js";
import { RoundWindowCounter } from "./round-window.js";

export interface EnvelopeRatePolicy {
  readonly maxEnvelopes: number;
  readonly windowRounds: number;
}

export class EnvelopeRateLimiter {
  private readonly used = new Map<ClientId, RoundWindowCounter>();

  constructor(readonly policy: EnvelopeRatePolicy) {
    if (!Number.isInteger(policy.windowRounds) || policy.windowRounds < 1 || !Number.isInteger(policy.maxEnvelopes) || policy.maxEnvelopes < 0) {
      throw new ZipnetError("ZIPNET_PARAMS_INVALID", "EnvelopeRatePolicy: need integers windowRounds >= 1 and maxEnvelopes >= 0.", {
        windowRounds: policy.windowRounds,
        maxEnvelopes: policy.maxEnvelopes,
      });
    }
  }

  /** Would one more envelope from `client` in `round` be within the window's limit? */
  allows(client: ClientId, round: number): boolean {
    return (this.used.get(client)?.count(round) ?? 0) < this.policy.maxEnvelopes;
  }

  /** Count one envelope; call only after it was otherwise accepted. */
  consume(client: ClientId, round: number): void {
    let c = this.used.get(client);
    if (!c) this.used.set(client, (c = new RoundWindowCounter(this.policy.windowRounds)));
    c.add(round, 1);
  }

  /** Forget clients whose window is over (bounds memory to active clients). */
  prune(round: number): void {
    for (const [client, c] of this.used) if (c.count(round) === 0) this.used.delete(client);
  }
}
