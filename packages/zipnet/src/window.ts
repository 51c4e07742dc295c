// Window presets and round↔slot arithmetic. DESIGN §2: `interactive` = 1 s
// rounds up to 64 clients; `archival` = 30 s rounds up to 1024; or an explicit
// tuple. The deadlines and minimum below are this package's choice until
// @builder/lattice-config pins them.
import { ZipnetError } from "./errors.js";
import { assertRoundParams, type RoundParams } from "./proto.js";

export type WindowName = "interactive" | "archival";

export interface WindowTuple {
  readonly roundPeriodMs: number;
  readonly minParticipants: number;
  readonly maxParticipants: number;
  readonly foldDeadlineMs: number;
  readonly roundDeadlineMs: number;
}

export const WINDOW_PRESETS: Readonly<Record<WindowName, WindowTuple>> = {
  // Fold at half the period so three servers have the other half to unblind and commit.
  interactive: { roundPeriodMs: 1_000, minParticipants: 2, maxParticipants: 64, foldDeadlineMs: 500, roundDeadlineMs: 950 },
  archival: { roundPeriodMs: 30_000, minParticipants: 2, maxParticipants: 1_024, foldDeadlineMs: 20_000, roundDeadlineMs: 29_000 },
};

/**
 * Vector geometry from the participant bound: a quarter of the clients may
 * talk per round (at least 4 slots, at most 256 = 260 KiB of messages), and
 * the reservation vector is 4× the message slots so that footprints of the
 * talkers rarely collide (birthday bound: k talkers in 4k entries collide
 * with probability about k/8 per pair-free round — backoff handles the rest).
 */
export function deriveGeometry(maxParticipants: number): { messageSlots: number; reservationSlots: number } {
  const messageSlots = Math.min(256, Math.max(4, Math.ceil(maxParticipants / 4)));
  return { messageSlots, reservationSlots: 4 * messageSlots };
}

export type WindowSpec = WindowName | (WindowTuple & Partial<Pick<RoundParams, "messageSlots" | "reservationSlots">>);

export function roundParams(spec: WindowSpec): RoundParams {
  let tuple: WindowSpec;
  if (typeof spec === "string") {
    const preset = WINDOW_PRESETS[spec];
    if (!preset) {
      throw new ZipnetError("ZIPNET_PARAMS_INVALID", `Unknown zipnet window ${JSON.stringify(spec)}.`, {
        expected: "interactive | archival | an explicit tuple",
        got: String(spec),
      });
    }
    tuple = preset;
  } else tuple = spec;
  const geometry = deriveGeometry(tuple.maxParticipants);
  const p: RoundParams = {
    roundPeriodMs: tuple.roundPeriodMs,
    minParticipants: tuple.minParticipants,
    maxParticipants: tuple.maxParticipants,
    foldDeadlineMs: tuple.foldDeadlineMs,
    roundDeadlineMs: tuple.roundDeadlineMs,
    messageSlots: ("messageSlots" in tuple && tuple.messageSlots) || geometry.messageSlots,
    reservationSlots: ("reservationSlots" in tuple && tuple.reservationSlots) || geometry.reservationSlots,
  };
  assertRoundParams(p);
  return p;
}

/** The chain's slot timing. A round feeds slot S if it ends by S's start minus the cutoff. */
export interface SlotTiming {
  readonly genesisUnixMs: number;
  readonly slotDurationMs: number;
  /** How long before a slot starts its pool must be final (room for unseal, offer, atelier, relay). */
  readonly cutoffMs: number;
}

/** Rounds are numbered from 1; round r opens at firstRoundUnixMs + (r-1)·period. */
export interface RoundTiming {
  readonly firstRoundUnixMs: number;
  readonly roundPeriodMs: number;
  readonly roundDeadlineMs: number;
}

export function roundEndUnixMs(rt: RoundTiming, round: number): number {
  return rt.firstRoundUnixMs + (round - 1) * rt.roundPeriodMs + rt.roundDeadlineMs;
}

/** The first slot whose cutoff is not before the round's deadline. */
export function slotForRound(rt: RoundTiming, st: SlotTiming, round: number): number {
  if (!Number.isInteger(round) || round < 1) {
    throw new ZipnetError("ZIPNET_PARAMS_INVALID", "slotForRound: round must be an integer >= 1.", { got: round });
  }
  if (st.slotDurationMs <= 0) {
    throw new ZipnetError("ZIPNET_PARAMS_INVALID", "slotForRound: slotDurationMs must be > 0.", { got: st.slotDurationMs });
  }
  const s = Math.ceil((roundEndUnixMs(rt, round) + st.cutoffMs - st.genesisUnixMs) / st.slotDurationMs);
  return Math.max(0, s);
}

/** True when the next round already feeds a later slot. */
export function lastInSlot(rt: RoundTiming, st: SlotTiming, round: number): boolean {
  return slotForRound(rt, st, round + 1) !== slotForRound(rt, st, round);
}
