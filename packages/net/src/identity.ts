// Node identity: a stable Ed25519 libp2p key derived from the member's
// 32-byte secret (`<ORG>_SECRET_FILE`), so the PeerId survives restarts
// without persisting a libp2p key file.
import { readFile } from "node:fs/promises";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import type { Ed25519PrivateKey } from "@libp2p/interface";
import { NetError } from "./errors.js";
import { utf8 } from "./bytes.js";

export const SECRET_LENGTH = 32;
// Domain separation: the same member secret must never double as another key.
const PEER_KEY_INFO = utf8("lattice/peer-identity/ed25519");

/** Derives the Ed25519 libp2p key from a 32-byte member secret. */
export async function peerKeyFromSecret(secret: Uint8Array): Promise<Ed25519PrivateKey> {
  if (secret.length !== SECRET_LENGTH) {
    throw new NetError("NET_SECRET_FILE", `Member secret is ${secret.length} bytes; expected ${SECRET_LENGTH}.`, {
      fields: { length: secret.length, expected: SECRET_LENGTH },
    });
  }
  const seed = hkdf(sha256, secret, undefined, PEER_KEY_INFO, 32);
  return generateKeyPairFromSeed("Ed25519", seed);
}

/**
 * Parses a secret file's content: 64 hex characters (as `openssl rand -hex
 * 32` writes, surrounding whitespace allowed) or exactly 32 raw bytes.
 */
export function parseSecret(content: Uint8Array, source: string): Uint8Array {
  const text = Buffer.from(content).toString("latin1").trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, "hex"));
  if (content.length === SECRET_LENGTH) return new Uint8Array(content);
  throw new NetError(
    "NET_SECRET_FILE",
    `Secret file ${source}: expected 64 hex characters or 32 raw bytes, got ${content.length} bytes. ` +
      `Generate one with: openssl rand -hex 32 > ${source}`,
    { fields: { file: source, length: content.length } },
  );
}

export async function readSecretFile(path: string): Promise<Uint8Array> {
  let content: Uint8Array;
  try {
    content = await readFile(path);
  } catch (cause) {
    throw new NetError("NET_SECRET_FILE", `Cannot read secret file ${path}: ${(cause as Error).message}.`, {
      fields: { file: path },
      cause,
    });
  }
  return parseSecret(content, path);
}
