// Footprint scheduling (ZIPNet, after Dissent/Verdict's scheduling vector): in
// round r a client that wants to talk writes a random nonzero footprint into a
// random entry of the reservation vector. Once round r is revealed, the
// surviving reservations, in index order, own message slots 0..M-1 of round
// r+1. Two clients in one entry XOR their footprints into garbage: each sees
// its footprint missing (Collided) and backs off for a random number of rounds
// drawn from an exponentially growing window. Clients with nothing to send
// still send an all-zero plaintext (cover traffic) to stay in the anonymity set.
// Pure: randomness is injected, nothing here reads the clock.
import { bytesEqual, isZero } from "../bytes.js";
import { ZipnetError } from "../errors.js";
import { DATUM_BYTES, FOOTPRINT_BYTES, type BroadcastRecord, type Reservation, type RoundParams } from "../proto.js";
import { falsificationTag } from "./tag.js";
import { TalkBudget, type TalkBudgetPolicy } from "./talk-budget.js";

/** Message slot of round r+1 owned by each reservation of round r: its rank, if < messageSlots. */
export function slotOwners(reservations: readonly Reservation[], messageSlots: number): readonly Reservation[] {
  return reservations.slice(0, messageSlots);
}

export type Outcome = "landed" | "collided" | "dropped";

export interface Receipt {
  readonly id: number;
  /** The round whose result decided this outcome. */
  readonly round: number;
  readonly outcome: Outcome;
  /** True when the scheduler gave up (attempts exhausted) or the datum landed. */
  readonly final: boolean;
  readonly attempts: number;
}

export interface Rng {
  /** Uniform integer in [0, n). */
  int(n: number): number;
  bytes(n: number): Uint8Array;
}

export interface SlotContent {
  readonly slotIndex: number;
  readonly datum: Uint8Array;
  readonly tag: Uint8Array;
}

/** What a client writes this round; both null means cover traffic. */
export interface RoundPlan {
  readonly round: number;
  readonly reservation: Reservation | null;
  readonly message: SlotContent | null;
}

type InFlight =
  | { phase: "reserved"; id: number; datum: Uint8Array; attempts: number; round: number; index: number; footprint: Uint8Array }
  | { phase: "sending"; id: number; datum: Uint8Array; attempts: number; round: number; slotIndex: number; footprint: Uint8Array };

export interface SchedulerOptions {
  /** Attempts per datum before a final Dropped receipt. */
  readonly maxAttempts?: number;
  /** Backoff window is 2^min(collisions, maxBackoffExponent) rounds. */
  readonly maxBackoffExponent?: number;
  /**
   * The talk-rate limit (docs/adr/0005): never plan more data rounds than this
   * per window; datums beyond it wait in the queue for the next window.
   * Unlimited when omitted.
   */
  readonly talkBudget?: TalkBudgetPolicy;
}

/**
 * One client's sending schedule. One datum in flight at a time, FIFO, so a
 * client's datums land in the order they were submitted. Drive it per round:
 * observe(record of r-1) (or roundFailed), then plan(r).
 */
export class ClientScheduler {
  private readonly queue: { id: number; datum: Uint8Array; attempts: number; collisions: number }[] = [];
  private inflight: (InFlight & { collisions: number }) | null = null;
  private backoffUntil = 0;
  private nextId = 1;
  private receipts: Receipt[] = [];
  private readonly maxAttempts: number;
  private readonly maxBackoffExponent: number;
  private readonly budget: TalkBudget | null;

  constructor(opts: SchedulerOptions = {}) {
    this.maxAttempts = opts.maxAttempts ?? 32;
    this.maxBackoffExponent = opts.maxBackoffExponent ?? 6;
    this.budget = opts.talkBudget ? new TalkBudget(opts.talkBudget) : null;
  }

  /** Data rounds the talk budget still allows in the window holding `round` (Infinity without a budget). */
  talkBudgetLeft(round: number): number {
    return this.budget ? this.budget.remaining(round) : Infinity;
  }

  /** Queue a 1024-byte datum (see encodeTx2718); returns its receipt id. */
  enqueue(datum: Uint8Array): number {
    if (datum.length !== DATUM_BYTES) {
      throw new ZipnetError("ZIPNET_VECTOR_LENGTH", "enqueue: datum must be exactly one Tx2718.", { expected: DATUM_BYTES, got: datum.length });
    }
    const id = this.nextId++;
    this.queue.push({ id, datum, attempts: 0, collisions: 0 });
    return id;
  }

  get pending(): number {
    return this.queue.length + (this.inflight ? 1 : 0);
  }

  takeReceipts(): Receipt[] {
    const out = this.receipts;
    this.receipts = [];
    return out;
  }

  private retry(round: number, outcome: "collided" | "dropped", rng: Rng | null): void {
    const f = this.inflight;
    if (!f) return;
    this.inflight = null;
    // The message round was budgeted with the reservation; it will not be sent now.
    if (f.phase === "reserved") this.budget?.refund(f.round + 1);
    const collisions = f.collisions + (outcome === "collided" ? 1 : 0);
    const final = f.attempts >= this.maxAttempts;
    this.receipts.push({ id: f.id, round, outcome, final, attempts: f.attempts });
    if (final) return;
    this.queue.unshift({ id: f.id, datum: f.datum, attempts: f.attempts, collisions });
    if (outcome === "collided" && rng) {
      const window = 2 ** Math.min(collisions, this.maxBackoffExponent);
      this.backoffUntil = round + 1 + rng.int(window);
    }
  }

  /** Round `round` produced `record`. */
  observe(record: BroadcastRecord, params: RoundParams, rng: Rng): void {
    const f = this.inflight;
    if (!f || f.round !== record.round) return;
    if (f.phase === "reserved") {
      const rank = record.reservations.findIndex((r) => r.index === f.index);
      const mine = rank >= 0 && bytesEqual(record.reservations[rank]!.footprint, f.footprint);
      if (rank >= 0 && !mine) return this.retry(record.round, "collided", rng);
      // Absent: our envelope was not folded (late, rate limited) — nothing collided.
      if (!mine || rank >= params.messageSlots) return this.retry(record.round, "dropped", rng);
      this.inflight = { ...f, phase: "sending", round: record.round + 1, slotIndex: rank };
      return;
    }
    const msg = record.messages.find((m) => m.slotIndex === f.slotIndex);
    if (msg && bytesEqual(msg.datum, f.datum)) {
      this.inflight = null;
      this.receipts.push({ id: f.id, round: record.round, outcome: "landed", final: true, attempts: f.attempts });
      return;
    }
    this.retry(record.round, record.collisions.includes(f.slotIndex) ? "collided" : "dropped", rng);
  }

  /** Round `round` will never produce a record (abandoned, or this client missed it). */
  roundFailed(round: number): void {
    if (this.inflight && this.inflight.round === round) this.retry(round, "dropped", null);
  }

  plan(round: number, params: RoundParams, rng: Rng): RoundPlan {
    let f = this.inflight;
    // A round we never observed: whatever we planned for it is lost.
    if (f && f.round < round) {
      this.retry(f.round, "dropped", null);
      f = null;
    }
    if (f && f.phase === "sending" && f.round === round) {
      const tag = falsificationTag(f.footprint, round, f.slotIndex, f.datum);
      return { round, reservation: null, message: { slotIndex: f.slotIndex, datum: f.datum, tag } };
    }
    const head = this.queue[0];
    // A datum's reservation and message are budgeted together, so a won slot is never left unsent.
    if (!f && head && round >= this.backoffUntil && (this.budget?.take([round, round + 1]) ?? true)) {
      this.queue.shift();
      let footprint = rng.bytes(FOOTPRINT_BYTES);
      while (isZero(footprint)) footprint = rng.bytes(FOOTPRINT_BYTES);
      const index = rng.int(params.reservationSlots);
      this.inflight = { phase: "reserved", id: head.id, datum: head.datum, attempts: head.attempts + 1, collisions: head.collisions, round, index, footprint };
      return { round, reservation: { index, footprint }, message: null };
    }
    return { round, reservation: null, message: null };
  }
}
