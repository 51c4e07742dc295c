// The two rate limits every zipnet role derives from the LatticeConfig
// (docs/adr/0005). The window is one chain slot's worth of rounds, the unit of
// `zipnet.maxEnvelopesPerClientPerSlot`, which sets the talk budget in datums.
import { zipnetWindowParams, type LatticeConfig } from "@builder/lattice-config";
import type { EnvelopeRatePolicy } from "../core/rate-limit.js";
import type { TalkBudgetPolicy } from "../core/talk-budget.js";
import { roundParams } from "../window.js";

export interface ZipnetRatePolicies {
  /** Rounds per window: floor(slot duration / round period), at least 1. */
  readonly windowRounds: number;
  /** Aggregator: every envelope counts; one per round is what an honest client sends, talk or cover. */
  readonly envelope: EnvelopeRatePolicy;
  /** Client: data-carrying envelopes per window; a datum costs two (reservation, then message). */
  readonly talk: TalkBudgetPolicy;
  /** Client: datums `send()` accepts per chain slot (wall clock). */
  readonly datumsPerSlot: number;
}

export function zipnetRatePolicies(config: LatticeConfig): ZipnetRatePolicies {
  const params = roundParams(zipnetWindowParams(config.zipnet.window));
  const windowRounds = Math.max(1, Math.floor(config.slot.durationMs / params.roundPeriodMs));
  const datumsPerSlot = config.zipnet.maxEnvelopesPerClientPerSlot;
  return {
    windowRounds,
    envelope: { maxEnvelopes: windowRounds, windowRounds },
    talk: { maxDataRounds: 2 * datumsPerSlot, windowRounds },
    datumsPerSlot,
  };
}
