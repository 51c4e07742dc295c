import { createHash } from "node:crypto";
import { x25519FromSecret, type X25519KeyPair } from "../core/keys.js";

/**
 * A server's X25519 key, derived from its peer secret so that a restarted
 * server presents the key the ServerRegistry already holds (the roster must
 * equal the registered servers, so a new key would be a new member).
 */
export function serverKeyFromPeerSecret(peerSecret: Uint8Array): X25519KeyPair {
  return x25519FromSecret(new Uint8Array(createHash("sha256").update("zipnet/server-x25519/v1").update(peerSecret).digest()));
}
