// Signed discovery announcements: codec and signatures (pure apart from the
// key operations). A peer signs its own announcement with its libp2p key;
// anyone may relay it unchanged, and receivers check the signature against
// the key embedded in the announced peer id.
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import type { PrivateKey } from "@libp2p/interface";
import { NetError } from "../errors.js";
import { concatBytes, utf8 } from "../bytes.js";
import { WireReader, WireWriter } from "../wire.js";

export const ANNOUNCEMENT_VERSION = 1;
const SIGNING_TAG = utf8("lattice/discovery/announcement/1");
export const ID_LENGTH = 32;
export const ANNOUNCEMENT_LIMITS = {
  peerIdChars: 128,
  addrs: 16,
  addrChars: 256,
  provides: 256,
  signature: 128,
} as const;

export interface Announcement {
  peerId: string;
  addrs: string[];
  /** GroupIds and collection ids (32 bytes each) this peer serves. */
  provides: Uint8Array[];
  /** Higher wins; a restarted peer starts from wall-clock ms so it outranks its old self. */
  seq: bigint;
  /** Unix ms after which the announcement is void (TTL; refreshed by the owner). */
  expiresAt: number;
}

export interface SignedAnnouncement {
  announcement: Announcement;
  signature: Uint8Array;
}

function fail(field: string, detail: string, fields: Record<string, unknown> = {}): never {
  throw new NetError("DISCOVERY_BAD_ANNOUNCEMENT", `Announcement field "${field}": ${detail}`, { fields: { field, ...fields } });
}

/** Checks the announcement against the codec's limits before it is signed or sent. */
export function validateAnnouncement(a: Announcement): void {
  if (a.peerId.length === 0 || a.peerId.length > ANNOUNCEMENT_LIMITS.peerIdChars) fail("peerId", `length ${a.peerId.length}`);
  if (a.addrs.length > ANNOUNCEMENT_LIMITS.addrs) fail("addrs", `${a.addrs.length} entries; at most ${ANNOUNCEMENT_LIMITS.addrs}`);
  for (const addr of a.addrs) {
    if (addr.length > ANNOUNCEMENT_LIMITS.addrChars) fail("addrs", `entry of ${addr.length} chars; at most ${ANNOUNCEMENT_LIMITS.addrChars}`);
  }
  if (a.provides.length > ANNOUNCEMENT_LIMITS.provides) {
    fail("provides", `${a.provides.length} ids; at most ${ANNOUNCEMENT_LIMITS.provides}`);
  }
  for (const id of a.provides) if (id.length !== ID_LENGTH) fail("provides", `id of ${id.length} bytes; expected ${ID_LENGTH}`);
  if (a.seq < 0n || a.seq >= 2n ** 64n) fail("seq", `${a.seq} is outside u64`);
  if (!Number.isSafeInteger(a.expiresAt) || a.expiresAt < 0) fail("expiresAt", `${a.expiresAt} is not a unix-ms timestamp`);
}

export function encodeAnnouncementBody(a: Announcement): Uint8Array {
  validateAnnouncement(a);
  const w = new WireWriter().u8(ANNOUNCEMENT_VERSION).bytes16(utf8(a.peerId)).u8(a.addrs.length);
  for (const addr of a.addrs) w.bytes16(utf8(addr));
  w.u16(a.provides.length);
  for (const id of a.provides) w.raw(id);
  return w.u64(a.seq).u64(BigInt(a.expiresAt)).finish();
}

export function encodeSignedAnnouncement(s: SignedAnnouncement): Uint8Array {
  return new WireWriter().bytes16(encodeAnnouncementBody(s.announcement)).bytes16(s.signature).finish();
}

const MAX_BODY =
  1 + 2 + ANNOUNCEMENT_LIMITS.peerIdChars + 1 + ANNOUNCEMENT_LIMITS.addrs * (2 + ANNOUNCEMENT_LIMITS.addrChars) + 2 +
  ANNOUNCEMENT_LIMITS.provides * ID_LENGTH + 16;

export function decodeAnnouncementBody(body: Uint8Array): Announcement {
  const r = new WireReader(body, "Announcement");
  const version = r.u8("version");
  if (version !== ANNOUNCEMENT_VERSION) fail("version", `${version}; this node speaks version ${ANNOUNCEMENT_VERSION}`);
  const dec = new TextDecoder("utf-8", { fatal: true });
  const text = (field: string, b: Uint8Array): string => {
    try {
      return dec.decode(b);
    } catch {
      return fail(field, "not UTF-8");
    }
  };
  const peerId = text("peerId", r.bytes16("peerId", ANNOUNCEMENT_LIMITS.peerIdChars));
  const nAddrs = r.u8("addrs.length");
  if (nAddrs > ANNOUNCEMENT_LIMITS.addrs) fail("addrs", `${nAddrs} entries; at most ${ANNOUNCEMENT_LIMITS.addrs}`);
  const addrs: string[] = [];
  for (let i = 0; i < nAddrs; i++) addrs.push(text("addrs", r.bytes16("addrs", ANNOUNCEMENT_LIMITS.addrChars)));
  const nIds = r.u16("provides.length");
  if (nIds > ANNOUNCEMENT_LIMITS.provides) fail("provides", `${nIds} ids; at most ${ANNOUNCEMENT_LIMITS.provides}`);
  const provides: Uint8Array[] = [];
  for (let i = 0; i < nIds; i++) provides.push(r.fixed(ID_LENGTH, "provides"));
  const seq = r.u64("seq");
  const expiresAt = r.u64("expiresAt");
  r.end();
  if (expiresAt > BigInt(Number.MAX_SAFE_INTEGER)) fail("expiresAt", `${expiresAt} is not a unix-ms timestamp`);
  return { peerId, addrs, provides, seq, expiresAt: Number(expiresAt) };
}

export function decodeSignedAnnouncement(buf: Uint8Array): SignedAnnouncement {
  const r = new WireReader(buf, "SignedAnnouncement");
  const body = r.bytes16("body", MAX_BODY);
  const signature = r.bytes16("signature", ANNOUNCEMENT_LIMITS.signature);
  r.end();
  return { announcement: decodeAnnouncementBody(body), signature };
}

function signingBytes(a: Announcement): Uint8Array {
  return concatBytes(SIGNING_TAG, encodeAnnouncementBody(a));
}

export async function signAnnouncement(key: PrivateKey, a: Announcement): Promise<SignedAnnouncement> {
  return { announcement: a, signature: await key.sign(signingBytes(a)) };
}

/** True when the signature is by the key inside `announcement.peerId` and every address parses. */
export async function verifyAnnouncement(s: SignedAnnouncement): Promise<boolean> {
  try {
    const pid = peerIdFromString(s.announcement.peerId);
    if (pid.publicKey === undefined) return false;
    for (const addr of s.announcement.addrs) multiaddr(addr);
    return await pid.publicKey.verify(signingBytes(s.announcement), s.signature);
  } catch {
    // An unparsable peer id or address is as bad as a wrong signature.
    return false;
  }
}
