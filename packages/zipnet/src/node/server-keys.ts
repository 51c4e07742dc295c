import { createHash } from "node:crypto";
import { x25519FromSecret, type X25519KeyPair } from "../core/keys.js";

/**
 * The X25519 key a server's peer secret derives. Servers used it as their
 * registered identity before ADR 0006; their identity is now an Ed25519
 * signing key (core/epoch-key-signature.ts) and no pad uses this key. Kept
 * for the forward-secrecy test, which checks that no key derivable from the
 * peer secret reproduces a past pad.
 */
export function serverKeyFromPeerSecret(peerSecret: Uint8Array): X25519KeyPair {
  return x25519FromSecret(new Uint8Array(createHash("sha256").update("zipnet/server-x25519/v1").update(peerSecret).digest()));
}
