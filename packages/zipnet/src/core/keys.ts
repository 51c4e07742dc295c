// Key schedule (docs/adr/0006): per key epoch, the X25519 agreement of a
// client's key with the server's key FOR THAT EPOCH → an epoch chain root
// (HKDF bound to groupId, clientId, serverId, epoch) → a chain key that
// ratchets forward every round (old chain keys are zeroed) → per-round
// AES-128-CTR key and IV from HKDF-SHA256 bound to every round parameter.
// The server erases the epoch key once the chains exist, and persists each
// chain only past the rounds it served, so a later compromise of the server
// cannot recompute past pads.
// Cost per (client, server, round): one HKDF for the pad key plus one per
// ratchet step (~5 µs each here, HMAC-based); X25519 ~35–90 µs, once per pair per epoch.
import {
  createCipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  createHmac,
  generateKeyPairSync,
  type Cipher,
  type KeyObject,
} from "node:crypto";
import { Writer, bytesEqual, fromHex } from "../bytes.js";
import { ZipnetError } from "../errors.js";
import { ID_BYTES, X25519_KEY_BYTES, encodeRoundParams, type ClientId, type RoundParams, type ServerId } from "../proto.js";

export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
}

// DER framings of raw X25519 keys (RFC 8410): a fixed prefix then the 32 bytes.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

function rawPublic(key: KeyObject): Uint8Array {
  const der = key.export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(der.length - X25519_KEY_BYTES));
}

export function generateX25519(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  return { privateKey, publicKey: rawPublic(publicKey) };
}

/** Deterministic key pair from a 32-byte secret (tests, keys loaded from a secret file). */
export function x25519FromSecret(secret: Uint8Array): X25519KeyPair {
  if (secret.length !== 32) {
    throw new ZipnetError("ZIPNET_KEY_INVALID", "X25519 secret must be 32 bytes.", { expected: 32, got: secret.length });
  }
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: "der", type: "pkcs8" });
  return { privateKey, publicKey: rawPublic(createPublicKey(privateKey)) };
}

/** Raw X25519 agreement; refuses malformed keys and the all-zero (small-order) output. */
export function sharedSecret(own: KeyObject, peerPublic: Uint8Array): Uint8Array {
  if (peerPublic.length !== X25519_KEY_BYTES) {
    throw new ZipnetError("ZIPNET_KEY_INVALID", "peer X25519 public key must be 32 bytes.", { expected: 32, got: peerPublic.length });
  }
  let out: Buffer;
  try {
    // JWK, not SPKI DER: Node 20 imports an X25519 JWK in ~10 µs against ~130 µs
    // through the DER decoder, which would dominate a server's epoch start.
    const publicKey = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(peerPublic).toString("base64url") }, format: "jwk" });
    out = diffieHellman({ privateKey: own, publicKey });
  } catch (cause) {
    throw new ZipnetError("ZIPNET_KEY_INVALID", `X25519 agreement failed: ${(cause as Error).message}`, {
      fix: "the peer's registered public key is not a usable X25519 point",
    });
  }
  if (out.every((b) => b === 0)) {
    throw new ZipnetError("ZIPNET_KEY_INVALID", "X25519 agreement produced the all-zero secret (small-order peer key).");
  }
  return new Uint8Array(out);
}

/** Everything a pad is bound to: a pad for one context is useless in any other. */
export interface PadContext {
  /** The zipnet GroupId (32 bytes): pads never repeat across lattices or configs. */
  readonly groupId: Uint8Array;
  readonly round: number;
  readonly slot: number;
  readonly params: RoundParams;
  readonly clientId: ClientId;
  readonly serverId: ServerId;
}

export interface PadKey {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/**
 * HKDF-SHA256 (RFC 5869) for outputs of at most 32 bytes, over createHmac:
 * node's hkdfSync costs ~85 µs per call here (it builds KeyObjects), two
 * HMACs cost ~5 µs, and a server runs two derivations per client per round.
 * The keys test checks it equals hkdfSync.
 */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, len: number): Uint8Array {
  if (len < 1 || len > 32) {
    throw new ZipnetError("ZIPNET_KEY_INVALID", "hkdf: this helper derives 1..32 bytes.", { expected: "1..32", got: len });
  }
  const prk = createHmac("sha256", salt).update(ikm).digest();
  const okm = createHmac("sha256", prk).update(info).update(ONE).digest();
  prk.fill(0);
  return new Uint8Array(okm.buffer, okm.byteOffset, len);
}
const ONE = new Uint8Array([1]);

export function chainInfo(groupId: Uint8Array, clientId: ClientId, serverId: ServerId, round: number): Uint8Array {
  return new Writer()
    .raw(new TextEncoder().encode("zipnet/chain/v1"))
    .raw(groupId)
    .raw(fromHex(clientId, ID_BYTES, "clientId"))
    .raw(fromHex(serverId, ID_BYTES, "serverId"))
    .u64(round)
    .finish();
}

// The round-wide part of the pad info is the same for every pair a server
// serves in a round: keep the last one instead of re-encoding it per client.
let lastPrefix: { groupId: Uint8Array; round: number; slot: number; params: RoundParams; bytes: Uint8Array } | null = null;

function padInfoPrefix(ctx: PadContext): Uint8Array {
  const l = lastPrefix;
  if (l && l.groupId === ctx.groupId && l.round === ctx.round && l.slot === ctx.slot && l.params === ctx.params) return l.bytes;
  const bytes = new Writer()
    .raw(new TextEncoder().encode("zipnet/pad/v1"))
    .raw(ctx.groupId)
    .u64(ctx.round)
    .u64(ctx.slot)
    .raw(encodeRoundParams(ctx.params))
    .finish();
  lastPrefix = { groupId: ctx.groupId, round: ctx.round, slot: ctx.slot, params: ctx.params, bytes };
  return bytes;
}

/** HKDF info of a pad: label ‖ groupId ‖ round ‖ slot ‖ RoundParams encoding ‖ clientId ‖ serverId. */
export function padInfo(ctx: PadContext): Uint8Array {
  return new Writer()
    .raw(padInfoPrefix(ctx))
    .raw(fromHex(ctx.clientId, ID_BYTES, "clientId"))
    .raw(fromHex(ctx.serverId, ID_BYTES, "serverId"))
    .finish();
}

/**
 * HKDF info of an epoch's chain root: label ‖ groupId ‖ clientId ‖ serverId ‖
 * epoch. The agreement is with the server's key for that epoch (docs/adr/0006),
 * never with its long-lived identity key.
 */
export function epochChainInfo(groupId: Uint8Array, clientId: ClientId, serverId: ServerId, epoch: number): Uint8Array {
  return new Writer()
    .raw(new TextEncoder().encode("zipnet/epoch-chain/v1"))
    .raw(groupId)
    .raw(fromHex(clientId, ID_BYTES, "clientId"))
    .raw(fromHex(serverId, ID_BYTES, "serverId"))
    .u64(epoch)
    .finish();
}

export const RATCHET_INFO = new TextEncoder().encode("zipnet/ratchet/v1");

/** A ratchet's whole secret state: what the server persists between rounds. */
export interface RatchetState {
  readonly clientId: ClientId;
  /** The next round this chain can serve; every earlier round's key is gone. */
  readonly nextRound: number;
  /** 32-byte chain key of `nextRound`. */
  readonly chain: Uint8Array;
}

/**
 * One per (client, server) pair on each side. Holds the chain key of the next
 * round it may serve; deriving round r's pad key advances the chain past r and
 * zeroes the old key, so each round's key can be derived exactly once.
 */
export class PadRatchet {
  private chain: Uint8Array;
  private next: number;

  /** clientId ‖ serverId as bytes, the tail of every pad info. */
  private readonly pairBytes: Uint8Array;
  /** RATCHET_INFO ‖ u64 round ‖ 0x01, the round rewritten in place per step. */
  private readonly stepInfo: Uint8Array;

  private constructor(
    chain: Uint8Array,
    startRound: number,
    private readonly groupId: Uint8Array,
    private readonly clientId: ClientId,
    private readonly serverId: ServerId,
  ) {
    this.chain = chain;
    this.next = startRound;
    this.pairBytes = new Writer().raw(fromHex(clientId, ID_BYTES, "clientId")).raw(fromHex(serverId, ID_BYTES, "serverId")).finish();
    this.stepInfo = new Writer().raw(RATCHET_INFO).u64(0).u8(1).finish();
  }

  /**
   * A chain rooted directly in a pairwise secret (v1 info, no epoch). The
   * nodes use forEpoch; this stays for benchmarks and tests of the ratchet.
   * Both sides must anchor at the same startRound. The caller should zero `shared`.
   */
  static fromSharedSecret(
    shared: Uint8Array,
    a: { groupId: Uint8Array; clientId: ClientId; serverId: ServerId; startRound: number },
  ): PadRatchet {
    if (a.groupId.length !== 32) {
      throw new ZipnetError("ZIPNET_KEY_INVALID", "groupId must be 32 bytes.", { expected: 32, got: a.groupId.length });
    }
    const chain = hkdf(shared, a.groupId, chainInfo(a.groupId, a.clientId, a.serverId, a.startRound), 32);
    return new PadRatchet(chain, a.startRound, a.groupId, a.clientId, a.serverId);
  }

  /**
   * The chain of one key epoch: root = HKDF(X25519(own, peer epoch key),
   * groupId, epochChainInfo(...)), serving rounds from `startRound` (the
   * epoch's first round, epochs.ts). The caller should zero `shared`.
   */
  static forEpoch(
    shared: Uint8Array,
    a: { groupId: Uint8Array; clientId: ClientId; serverId: ServerId; epoch: number; startRound: number },
  ): PadRatchet {
    if (a.groupId.length !== 32) {
      throw new ZipnetError("ZIPNET_KEY_INVALID", "groupId must be 32 bytes.", { expected: 32, got: a.groupId.length });
    }
    const chain = hkdf(shared, a.groupId, epochChainInfo(a.groupId, a.clientId, a.serverId, a.epoch), 32);
    return new PadRatchet(chain, a.startRound, a.groupId, a.clientId, a.serverId);
  }

  /** Resumes a persisted chain (exportState); copies the key. */
  static fromState(s: RatchetState, a: { groupId: Uint8Array; serverId: ServerId }): PadRatchet {
    if (s.chain.length !== 32) {
      throw new ZipnetError("ZIPNET_KEY_INVALID", "ratchet chain key must be 32 bytes.", { expected: 32, got: s.chain.length });
    }
    return new PadRatchet(new Uint8Array(s.chain), s.nextRound, a.groupId, s.clientId, a.serverId);
  }

  /** A copy of the chain key and its round, for persisting (the caller zeroes it after writing). */
  exportState(): RatchetState {
    return { clientId: this.clientId, nextRound: this.next, chain: new Uint8Array(this.chain) };
  }

  /** Erases every round below `round` (a round this side will never serve again). */
  skipTo(round: number): void {
    while (this.next < round) {
      const prk = this.extract();
      this.advance(prk);
      prk.fill(0);
    }
  }

  /** The next round this ratchet can still serve. */
  get nextRound(): number {
    return this.next;
  }

  // HKDF(chain, groupId, info) for the ratchet and for the pad share one
  // Extract (same salt and key material), so a round costs three HMACs.
  private extract(): Buffer {
    return createHmac("sha256", this.groupId).update(this.chain).digest();
  }

  private advance(prk: Buffer): void {
    new DataView(this.stepInfo.buffer).setBigUint64(RATCHET_INFO.length, BigInt(this.next), true);
    const nextChain = new Uint8Array(createHmac("sha256", prk).update(this.stepInfo).digest());
    this.chain.fill(0);
    this.chain = nextChain;
    this.next++;
  }

  padKey(ctx: PadContext): PadKey {
    if (ctx.clientId !== this.clientId || ctx.serverId !== this.serverId || !bytesEqual(ctx.groupId, this.groupId)) {
      throw new ZipnetError("ZIPNET_KEY_INVALID", "padKey: context names a different group or (client, server) pair than this ratchet.", {
        fix: "look the ratchet up by the context's clientId and serverId",
      });
    }
    if (ctx.round < this.next) {
      throw new ZipnetError("ZIPNET_RATCHET_PAST", "pad key for a past round was erased (forward secrecy).", {
        round: ctx.round,
        earliestAvailable: this.next,
      });
    }
    this.skipTo(ctx.round);
    const prk = this.extract();
    const okm = createHmac("sha256", prk)
      .update(padInfoPrefix(ctx))
      .update(this.pairBytes)
      .update(ONE)
      .digest();
    this.advance(prk);
    prk.fill(0);
    return { key: new Uint8Array(okm.subarray(0, 16)), iv: new Uint8Array(okm.subarray(16, 32)) };
  }

  /** Zero the chain key (member leaving, client deregistered). */
  destroy(): void {
    this.chain.fill(0);
    this.next = Number.MAX_SAFE_INTEGER;
  }
}

export function padCipher(k: PadKey): Cipher {
  return createCipheriv("aes-128-ctr", k.key, k.iv);
}

/** The pad itself: AES-128-CTR keystream over zeros, covering the whole vector. */
export function pad(k: PadKey, length: number): Uint8Array {
  return new Uint8Array(padCipher(k).update(new Uint8Array(length)));
}
