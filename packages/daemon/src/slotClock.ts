import { type SlotConfig, slotParams } from "./slotMath.js";
import { type TimeSource, systemTime } from "./timeSource.js";

export interface SlotTick {
  readonly slot: number;
  /** Unix ms at which `slot` began. */
  readonly startMs: number;
  /**
   * Slots that began since the previous tick but were never emitted (event
   * loop stalled or the host suspended). Only the current slot is emitted:
   * work for a past slot is useless to a builder.
   */
  readonly missed: number;
}

export type SlotListener = (tick: SlotTick) => void;

/**
 * Emits one tick at the start of every chain slot (slot 0 at genesis; nothing
 * before). The timer is re-armed from the time source at each tick, so drift
 * never accumulates.
 */
export class SlotClock {
  readonly #genesis: number;
  readonly #duration: number;
  readonly #time: TimeSource;
  readonly #listeners = new Set<SlotListener>();
  #cancel: (() => void) | undefined;
  #lastEmitted: number | undefined;

  constructor(cfg: SlotConfig, time: TimeSource = systemTime) {
    const p = slotParams(cfg);
    this.#genesis = p.genesis;
    this.#duration = p.duration;
    this.#time = time;
  }

  /** The slot now; negative before genesis. */
  currentSlot(): number {
    return Math.floor((this.#time.now() - this.#genesis) / this.#duration);
  }

  slotStartMs(slot: number): number {
    return this.#genesis + slot * this.#duration;
  }

  /** Milliseconds elapsed since the current slot began. */
  msIntoSlot(): number {
    return this.#time.now() - this.slotStartMs(this.currentSlot());
  }

  onSlot(listener: SlotListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves at the start of `slot` (at once if it has begun). Requires start(). */
  waitForSlot(slot: number): Promise<SlotTick> {
    const now = this.currentSlot();
    if (now >= slot) return Promise.resolve({ slot: now, startMs: this.slotStartMs(now), missed: 0 });
    return new Promise((resolve) => {
      const off = this.onSlot((tick) => {
        if (tick.slot >= slot) {
          off();
          resolve(tick);
        }
      });
    });
  }

  /** Starts ticking. The slot in progress is not emitted; the first tick is the next slot start. */
  start(): void {
    if (this.#cancel) return;
    this.#lastEmitted = this.currentSlot();
    this.#arm();
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #arm(): void {
    const next = Math.max(0, this.currentSlot() + 1);
    this.#cancel = this.#time.setTimer(this.slotStartMs(next) - this.#time.now(), () => this.#fire());
  }

  #fire(): void {
    const slot = this.currentSlot();
    const last = this.#lastEmitted ?? slot - 1;
    if (slot > last && slot >= 0) {
      this.#lastEmitted = slot;
      const tick: SlotTick = { slot, startMs: this.slotStartMs(slot), missed: Math.max(0, slot - Math.max(last, -1) - 1) };
      for (const l of [...this.#listeners]) l(tick);
    }
    if (this.#cancel) this.#arm();
  }
}
