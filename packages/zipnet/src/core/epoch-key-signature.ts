// A server signs each epoch key it announces with an Ed25519 key of its own,
// and its ServerId is the hash of that signing key. Without the signature
// any peer that can get a command into the log could announce its own key as
// another server's next epoch key and, holding every pad, unmask every client
// (docs/adr/0006, "Review finding"). Verification is deterministic, so every
// member's machine accepts or refuses an announcement alike.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { fromHex, Writer } from "../bytes.js";
import type { ServerEpochKey } from "../proto.js";

export const SIGNATURE_BYTES = 64;
export const SIGNING_KEY_BYTES = 32;
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const LABEL = new TextEncoder().encode("zipnet/epoch-key/v1");

export interface SigningKeyPair {
  /** Raw Ed25519 public key (32 bytes): what registerServer records and ServerId hashes. */
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
}

/** The Ed25519 key of a 32-byte seed. */
export function signingKeyFromSeed(seed: Uint8Array): SigningKeyPair {
  if (seed.length !== 32) throw new RangeError(`signingKeyFromSeed: seed must be 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { publicKey: new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length)), privateKey };
}

/** A server's signing key, derived from its peer secret (stable across restarts, like its peer id). */
export function signingKeyFromPeerSecret(peerSecret: Uint8Array): SigningKeyPair {
  return signingKeyFromSeed(new Uint8Array(createHash("sha256").update("zipnet/server-ed25519/v1").update(peerSecret).digest()));
}

/** What is signed: label ‖ server ‖ u64 epoch ‖ epoch public key. */
export function epochKeyMessage(k: Pick<ServerEpochKey, "server" | "epoch" | "publicKey">): Uint8Array {
  return new Writer().raw(LABEL).raw(fromHex(k.server, 32, "server")).u64(k.epoch).raw(k.publicKey).finish();
}

export function signEpochKey(key: KeyObject, k: Pick<ServerEpochKey, "server" | "epoch" | "publicKey">): Uint8Array {
  return new Uint8Array(sign(null, epochKeyMessage(k), key));
}

/** True when `k.signature` is the registered signing key's signature over `k`; false for any malformed key or signature. */
export function verifyEpochKey(signingKey: Uint8Array, k: ServerEpochKey): boolean {
  if (signingKey.length !== SIGNING_KEY_BYTES || k.signature.length !== SIGNATURE_BYTES) return false;
  try {
    const pub = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, signingKey]), format: "der", type: "spki" });
    return verify(null, epochKeyMessage(k), pub, k.signature);
  } catch {
    return false;
  }
}
