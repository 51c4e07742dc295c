import { DaemonError } from "./errors.js";

/** The chain's slot schedule as LatticeConfig.slot carries it. */
export interface SlotConfig {
  readonly genesisUnixMs: number | bigint;
  readonly durationMs: number | bigint;
}

interface SlotParams {
  readonly genesis: number;
  readonly duration: number;
}

/** Validates once at the edge so the arithmetic below can stay branch-free. */
export function slotParams(cfg: SlotConfig): SlotParams {
  const genesis = Number(cfg.genesisUnixMs);
  const duration = Number(cfg.durationMs);
  if (!Number.isSafeInteger(genesis) || genesis < 0) {
    throw new DaemonError("DAEMON_SLOT_CONFIG_INVALID", `slot.genesisUnixMs is ${String(cfg.genesisUnixMs)}; expected a non-negative integer number of milliseconds`, { genesisUnixMs: String(cfg.genesisUnixMs) });
  }
  if (!Number.isSafeInteger(duration) || duration <= 0) {
    throw new DaemonError("DAEMON_SLOT_CONFIG_INVALID", `slot.durationMs is ${String(cfg.durationMs)}; expected a positive integer number of milliseconds`, { durationMs: String(cfg.durationMs) });
  }
  return { genesis, duration };
}

/**
 * The slot containing `unixMs`: floor((t - genesis) / duration). Before
 * genesis this is negative (slot -1 is the duration just before genesis), so
 * `slotStartMs(slotAt(t)) <= t < slotStartMs(slotAt(t) + 1)` holds for every t.
 */
export function slotAt(unixMs: number, cfg: SlotConfig): number {
  const { genesis, duration } = slotParams(cfg);
  return Math.floor((unixMs - genesis) / duration);
}

/** Unix milliseconds at which `slot` begins. */
export function slotStartMs(slot: number, cfg: SlotConfig): number {
  const { genesis, duration } = slotParams(cfg);
  return genesis + slot * duration;
}
