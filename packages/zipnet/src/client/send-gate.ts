// The Submitter's half of the talk limit (docs/adr/0005): send() accepts at
// most `datumsPerSlot` datums per chain slot and refuses the next one with a
// typed, temporary error, instead of queueing without bound. The scheduler's
// TalkBudget then caps the data rounds actually sent (retries included).
import { ZipnetClientError } from "./errors.js";

export interface SendGateOptions {
  readonly datumsPerSlot: number;
  readonly genesisUnixMs: number;
  readonly slotDurationMs: number;
  readonly nowMs: () => number;
}

export class SendGate {
  private slot = -1;
  private accepted = 0;

  constructor(readonly opts: SendGateOptions) {}

  private slotNow(): number {
    return Math.floor((this.opts.nowMs() - this.opts.genesisUnixMs) / this.opts.slotDurationMs);
  }

  /** Count one datum against the current slot, or throw ZIPNET_CLIENT_RATE_LIMITED if the slot's budget is spent. */
  admit(): void {
    const slot = this.slotNow();
    if (slot !== this.slot) {
      this.slot = slot;
      this.accepted = 0;
    }
    if (this.accepted >= this.opts.datumsPerSlot) {
      const retryInMs = this.opts.genesisUnixMs + (slot + 1) * this.opts.slotDurationMs - this.opts.nowMs();
      throw new ZipnetClientError(
        "ZIPNET_CLIENT_RATE_LIMITED",
        `send: talk limit reached: ${this.opts.datumsPerSlot} datums per slot (zipnet.maxEnvelopesPerClientPerSlot) already sent in slot ${slot}; retry in ${retryInMs} ms, at the next slot.`,
        { limit: this.opts.datumsPerSlot, window: "slot", slot, slotDurationMs: this.opts.slotDurationMs, retryInMs },
        true,
      );
    }
    this.accepted++;
  }
}
