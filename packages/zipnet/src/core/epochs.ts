// Key epochs: each server's pad key lives for one epoch of consecutive rounds
// (docs/adr/0006). Pure arithmetic; every party (machine, servers, clients)
// derives the epoch of a round from the round's own params, so nobody needs
// to agree on anything beyond the LiveRound.
import { ZipnetError } from "../errors.js";

/** Target epoch length: long enough that announcing the next key is cheap, short enough that a new client waits at most this long. */
export const EPOCH_TARGET_MS = 10_000;

/** Rounds per epoch for a round period: about 10 s of rounds (interactive 1 s → 10, archival 30 s → 1). */
export function epochRounds(roundPeriodMs: number): number {
  if (!Number.isInteger(roundPeriodMs) || roundPeriodMs < 1) {
    throw new ZipnetError("ZIPNET_PARAMS_INVALID", "epochRounds: roundPeriodMs must be an integer >= 1.", { got: roundPeriodMs });
  }
  return Math.max(1, Math.round(EPOCH_TARGET_MS / roundPeriodMs));
}

/**
 * Epoch of a round. Rounds are numbered from 1 (window.ts), so epoch 0 is
 * rounds 1..E and every epoch holds exactly E rounds.
 */
export function epochOfRound(round: number, roundPeriodMs: number): number {
  if (!Number.isSafeInteger(round) || round < 1) {
    throw new ZipnetError("ZIPNET_PARAMS_INVALID", "epochOfRound: round must be an integer >= 1.", { got: round });
  }
  return Math.floor((round - 1) / epochRounds(roundPeriodMs));
}

/** First round of an epoch: where its pad chains start. */
export function firstRoundOfEpoch(epoch: number, roundPeriodMs: number): number {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new ZipnetError("ZIPNET_PARAMS_INVALID", "firstRoundOfEpoch: epoch must be an integer >= 0.", { got: epoch });
  }
  return epoch * epochRounds(roundPeriodMs) + 1;
}
