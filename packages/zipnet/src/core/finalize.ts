// Finalization: aggregate ⊕ every server's partial = the plaintext vector
// (all pads cancel). The reservation section becomes the next round's
// schedule; each message slot is checked against the owner the previous
// round's reservations assigned and its falsification tag.
// Cost: one Uint32 XOR pass per server plus one sha256 per nonempty slot.
import { bytesEqual, isZero, xorInto } from "../bytes.js";
import {
  DATUM_BYTES,
  FOOTPRINT_BYTES,
  SLOT_BYTES,
  decodeTx2718,
  messageOffset,
  reservationOffset,
  type AggregateEnvelope,
  type BroadcastMessage,
  type BroadcastRecord,
  type LiveRound,
  type Reservation,
} from "../proto.js";
import { slotOwners } from "./scheduling.js";
import { falsificationTag } from "./tag.js";

export type SlotOutcome = "landed" | "collided" | "empty";

export interface FinalizeInput {
  readonly live: LiveRound;
  readonly aggregate: AggregateEnvelope;
  /** One partial vector per server, any order (XOR commutes). */
  readonly partials: readonly Uint8Array[];
  /** The record of round live.round - 1, if there is one: it schedules this round's slots. */
  readonly previous: BroadcastRecord | null;
}

export interface FinalizeOutput {
  readonly record: BroadcastRecord;
  readonly outcomes: readonly SlotOutcome[];
}

function validDatum(datum: Uint8Array): boolean {
  try {
    decodeTx2718(datum);
    return true;
  } catch {
    return false;
  }
}

export function finalizeRound(input: FinalizeInput): FinalizeOutput {
  const { live, aggregate } = input;
  const p = live.params;
  const plain = aggregate.vector.slice();
  for (const part of input.partials) xorInto(plain, part);

  const reservations: Reservation[] = [];
  for (let i = 0; i < p.reservationSlots; i++) {
    const at = reservationOffset(i);
    const fp = plain.subarray(at, at + FOOTPRINT_BYTES);
    if (!isZero(fp)) reservations.push({ index: i, footprint: fp.slice() });
  }

  const prev = input.previous && input.previous.round === live.round - 1 ? input.previous : null;
  const owners = prev ? slotOwners(prev.reservations, p.messageSlots) : [];
  const messages: BroadcastMessage[] = [];
  const collisions: number[] = [];
  const outcomes: SlotOutcome[] = [];
  for (let j = 0; j < p.messageSlots; j++) {
    const at = messageOffset(p, j);
    const slot = plain.subarray(at, at + SLOT_BYTES);
    if (isZero(slot)) {
      outcomes.push("empty");
      continue;
    }
    const datum = slot.slice(0, DATUM_BYTES);
    const owner = owners[j];
    const ok =
      owner !== undefined &&
      bytesEqual(falsificationTag(owner.footprint, live.round, j, datum), slot.subarray(DATUM_BYTES)) &&
      validDatum(datum);
    if (ok) {
      messages.push({ slotIndex: j, datum });
      outcomes.push("landed");
    } else {
      collisions.push(j);
      outcomes.push("collided");
    }
  }
  return {
    record: {
      round: live.round,
      slot: live.slot,
      lastInSlot: live.lastInSlot,
      participants: aggregate.participants.length,
      reservations,
      messages,
      collisions,
    },
    outcomes,
  };
}
