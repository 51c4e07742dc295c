// Client sealing: the plaintext vector is zero except the reservation footprint
// and the owned message slot (datum ‖ tag); it is then encrypted through one
// AES-128-CTR cipher per server in roster order, which XORs each server's pad
// in the native pass. Cost: one keystream pass per server over the vector
// (~3 GiB/s per core), no JS byte loops.
import { ZipnetError } from "../errors.js";
import {
  DATUM_BYTES,
  TAG_BYTES,
  messageOffset,
  reservationOffset,
  vectorBytes,
  type ClientEnvelope,
  type ClientId,
  type RoundParams,
} from "../proto.js";
import { padCipher, type PadKey } from "./keys.js";
import type { RoundPlan } from "./scheduling.js";

export function buildPlaintext(params: RoundParams, plan: RoundPlan): Uint8Array {
  const v = new Uint8Array(vectorBytes(params));
  if (plan.reservation) {
    const { index, footprint } = plan.reservation;
    if (index >= params.reservationSlots) {
      throw new ZipnetError("ZIPNET_VECTOR_LENGTH", "plan: reservation index outside the reservation vector.", {
        expected: `< ${params.reservationSlots}`,
        got: index,
      });
    }
    v.set(footprint, reservationOffset(index));
  }
  if (plan.message) {
    const { slotIndex, datum, tag } = plan.message;
    if (slotIndex >= params.messageSlots || datum.length !== DATUM_BYTES || tag.length !== TAG_BYTES) {
      throw new ZipnetError("ZIPNET_VECTOR_LENGTH", "plan: message slot content does not fit the geometry.", {
        expected: `slot < ${params.messageSlots}, datum ${DATUM_BYTES}, tag ${TAG_BYTES}`,
        got: `slot ${slotIndex}, datum ${datum.length}, tag ${tag.length}`,
      });
    }
    const at = messageOffset(params, slotIndex);
    v.set(datum, at);
    v.set(tag, at + DATUM_BYTES);
  }
  return v;
}

/** plaintext ⊕ pad_1 ⊕ … ⊕ pad_n, each pad applied by encrypting through its cipher. */
export function sealVector(plaintext: Uint8Array, padKeys: readonly PadKey[]): Uint8Array {
  let acc: Uint8Array = plaintext;
  for (const k of padKeys) acc = padCipher(k).update(acc);
  return new Uint8Array(acc.buffer, acc.byteOffset, acc.byteLength);
}

export function sealEnvelope(a: {
  clientId: ClientId;
  params: RoundParams;
  plan: RoundPlan;
  /** One per server of the LiveRound, same order. */
  padKeys: readonly PadKey[];
}): ClientEnvelope {
  const vector = sealVector(buildPlaintext(a.params, a.plan), a.padKeys);
  return { round: a.plan.round, clientId: a.clientId, vector };
}
