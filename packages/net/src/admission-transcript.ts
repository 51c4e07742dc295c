// Pure part of committee admission: key derivation, the transcript each
// side MACs, and the constant-time check. No I/O here.
//
// Both peer ids (in initiator, responder order) and both nonces are bound so
// a proof cannot be replayed to another peer or in another session; the role
// byte makes the initiator's and responder's proofs differ, so a responder
// cannot reflect the initiator's own MAC back at it.
import { timingSafeEqual } from "node:crypto";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8 } from "./bytes.js";
import { WireWriter } from "./wire.js";

export const ADMISSION_TAG = utf8("lattice/admission/1");
export const NONCE_LENGTH = 32;
export const MAC_LENGTH = 32;
export const GROUP_ID_LENGTH = 32;

export const AdmissionRole = { Initiator: 1, Responder: 2 } as const;
export type AdmissionRole = (typeof AdmissionRole)[keyof typeof AdmissionRole];

/** HKDF(committeeSecret, info = "lattice/admission" ‖ groupId): one key per committee config. */
export function admissionKey(committeeSecret: Uint8Array, groupId: Uint8Array): Uint8Array {
  return hkdf(sha256, committeeSecret, undefined, concatBytes(utf8("lattice/admission"), groupId), 32);
}

export interface TranscriptInput {
  groupId: Uint8Array;
  initiator: Uint8Array;
  responder: Uint8Array;
  nonceInitiator: Uint8Array;
  nonceResponder: Uint8Array;
  role: AdmissionRole;
}

/** tag ‖ groupId ‖ len‖initiator ‖ len‖responder ‖ nonce_i ‖ nonce_r ‖ role */
export function admissionTranscript(t: TranscriptInput): Uint8Array {
  // Length prefixes keep the encoding injective even though peer ids vary in length.
  return new WireWriter()
    .raw(ADMISSION_TAG)
    .bytes16(t.groupId)
    .bytes16(t.initiator)
    .bytes16(t.responder)
    .bytes16(t.nonceInitiator)
    .bytes16(t.nonceResponder)
    .u8(t.role)
    .finish();
}

export function admissionMac(key: Uint8Array, t: TranscriptInput): Uint8Array {
  return hmac(sha256, key, admissionTranscript(t));
}

export function verifyAdmissionMac(key: Uint8Array, t: TranscriptInput, mac: Uint8Array): boolean {
  const expected = admissionMac(key, t);
  if (mac.length !== expected.length) return false;
  return timingSafeEqual(expected, mac);
}
