// Wire types and their canonical codecs. Every top-level encoding starts with
// its version byte (WIRE_VERSION; ClientEnvelope has its own); every decoder is exact-length (no trailing bytes), checks every
// announced count against a limit before allocating, and names the field it
// failed on. The layout of the DC-net vector is defined here, once.
import { createHash } from "node:crypto";
import { Reader, Writer, fromHex, isZero, toHex } from "./bytes.js";
import { ZipnetError, fieldError } from "./errors.js";

export const WIRE_VERSION = 1;
/**
 * ClientEnvelope's own version: 2 dropped the clear-text `hasData` flag (v1),
 * which told the aggregator who talks (docs/adr/0005). A v1 envelope is refused.
 */
export const ENVELOPE_WIRE_VERSION = 2;
export const ID_BYTES = 32;
export const X25519_KEY_BYTES = 32;
/** A reservation entry: a random, nonzero footprint (paper §"footprint scheduling"). */
export const FOOTPRINT_BYTES = 16;
/** Falsification tag appended to each message slot. */
export const TAG_BYTES = 16;
/** DESIGN §4 zipnet: the datum (Tx2718) is exactly 1024 bytes. */
export const DATUM_BYTES = 1024;
export const SLOT_BYTES = DATUM_BYTES + TAG_BYTES;
/** Tx2718 = u16 length ‖ tx ‖ zero padding. */
export const MAX_TX_BYTES = DATUM_BYTES - 2;
export const MAX_PARTICIPANTS = 65_536;
export const MAX_SERVERS = 16;
/** An Ed25519 signature over an announced epoch key. */
export const EPOCH_KEY_SIGNATURE_BYTES = 64;
export const MAX_MESSAGE_SLOTS = 4_096;
/** 16 MiB: bounds every vector a decoder will accept. */
export const MAX_VECTOR_BYTES = 16 * 1024 * 1024;

/** 32-byte identifiers carried as lowercase hex so they key Maps directly. */
export type ClientId = string;
export type ServerId = string;

export interface RoundParams {
  readonly roundPeriodMs: number;
  readonly minParticipants: number;
  readonly maxParticipants: number;
  /** Offset from round open at which the aggregator stops folding envelopes. */
  readonly foldDeadlineMs: number;
  /** Offset from round open by which the round should be finalized. */
  readonly roundDeadlineMs: number;
  readonly messageSlots: number;
  /** Reservation (scheduling) vector entries; >= messageSlots to keep footprint collisions rare. */
  readonly reservationSlots: number;
}

export interface ParticipantKey {
  readonly id: string;
  /** Raw X25519 public key. */
  readonly publicKey: Uint8Array;
}
export type ClientInfo = ParticipantKey;
export type ServerInfo = ParticipantKey;

export interface LiveRound {
  readonly round: number;
  /** The chain slot this round feeds. */
  readonly slot: number;
  /** True for the last round before the slot's cutoff: unseal releases keys after it. */
  readonly lastInSlot: boolean;
  /** Sorted, unique. */
  readonly clients: readonly ClientId[];
  /** Sorted by id; pads are applied in this order. */
  readonly servers: readonly ServerInfo[];
  readonly params: RoundParams;
}

export interface ClientEnvelope {
  readonly round: number;
  readonly clientId: ClientId;
  /**
   * Nothing besides round, id and this fixed-length vector: a talker's and a
   * cover sender's envelope must look alike to the aggregator (docs/adr/0005).
   */
  readonly vector: Uint8Array;
}

export interface AggregateEnvelope {
  readonly round: number;
  /** Sorted, unique: exactly the clients whose envelopes were folded. */
  readonly participants: readonly ClientId[];
  readonly vector: Uint8Array;
}

export interface PartialUnblind {
  readonly round: number;
  readonly serverId: ServerId;
  /** participantsHash(aggregate.participants): binds the partial to exactly that set. */
  readonly participantsHash: Uint8Array;
  readonly vector: Uint8Array;
}

export interface Reservation {
  readonly index: number;
  readonly footprint: Uint8Array;
}

export interface BroadcastMessage {
  readonly slotIndex: number;
  /** The 1024-byte Tx2718 datum. */
  readonly datum: Uint8Array;
}

export interface BroadcastRecord {
  readonly round: number;
  readonly slot: number;
  readonly lastInSlot: boolean;
  readonly participants: number;
  /** Nonzero reservation entries, ascending by index; they schedule the next round. */
  readonly reservations: readonly Reservation[];
  /** Message slots whose datum carried a valid tag, ascending by slot index. */
  readonly messages: readonly BroadcastMessage[];
  /** Message slots with content but a bad tag or datum: collision or disruption. */
  readonly collisions: readonly number[];
}

/**
 * A server's X25519 public key for one key epoch (docs/adr/0006): pads of the
 * epoch's rounds are derived with it, never with the identity key the server
 * registered. `server` is the announcing server's (identity) ServerId.
 */
export interface ServerEpochKey {
  readonly server: ServerId;
  readonly epoch: number;
  readonly publicKey: Uint8Array;
  /** Ed25519 signature by the server's registered signing key over (server, epoch, publicKey): core/epoch-key-signature.ts. */
  readonly signature: Uint8Array;
}

/** An epoch key as the machine keeps it once its signature was checked. */
export type AnnouncedEpochKey = Pick<ServerEpochKey, "server" | "epoch" | "publicKey">;

export type Command =
  | { readonly type: "openRound"; readonly live: LiveRound }
  | { readonly type: "submitAggregate"; readonly aggregate: AggregateEnvelope }
  | { readonly type: "submitPartial"; readonly partial: PartialUnblind }
  | { readonly type: "registerClient"; readonly client: ClientInfo }
  | { readonly type: "registerServer"; readonly server: ServerInfo }
  | { readonly type: "announceServerKey"; readonly key: ServerEpochKey };

const COMMAND_TAGS = {
  openRound: 1,
  submitAggregate: 2,
  submitPartial: 3,
  registerClient: 4,
  registerServer: 5,
  announceServerKey: 6,
} as const;

// ---------------------------------------------------------------- geometry

export function vectorBytes(p: RoundParams): number {
  return p.reservationSlots * FOOTPRINT_BYTES + p.messageSlots * SLOT_BYTES;
}
export function reservationOffset(index: number): number {
  return index * FOOTPRINT_BYTES;
}
export function messageOffset(p: RoundParams, slotIndex: number): number {
  return p.reservationSlots * FOOTPRINT_BYTES + slotIndex * SLOT_BYTES;
}

/** Returns the first violated rule, or null. */
export function roundParamsProblem(p: RoundParams): string | null {
  const ints: (keyof RoundParams)[] = [
    "roundPeriodMs",
    "minParticipants",
    "maxParticipants",
    "foldDeadlineMs",
    "roundDeadlineMs",
    "messageSlots",
    "reservationSlots",
  ];
  for (const k of ints) {
    const v = p[k];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) return `${k} must be a u32, got ${v}`;
  }
  if (p.roundPeriodMs === 0) return "roundPeriodMs must be > 0";
  if (p.minParticipants < 1) return `minParticipants must be >= 1, got ${p.minParticipants}`;
  if (p.maxParticipants < p.minParticipants) return `maxParticipants (${p.maxParticipants}) < minParticipants (${p.minParticipants})`;
  if (p.maxParticipants > MAX_PARTICIPANTS) return `maxParticipants must be <= ${MAX_PARTICIPANTS}, got ${p.maxParticipants}`;
  if (p.foldDeadlineMs === 0 || p.foldDeadlineMs > p.roundDeadlineMs)
    return `need 0 < foldDeadlineMs (${p.foldDeadlineMs}) <= roundDeadlineMs (${p.roundDeadlineMs})`;
  if (p.messageSlots < 1 || p.messageSlots > MAX_MESSAGE_SLOTS) return `messageSlots must be in [1, ${MAX_MESSAGE_SLOTS}], got ${p.messageSlots}`;
  if (p.reservationSlots < p.messageSlots) return `reservationSlots (${p.reservationSlots}) < messageSlots (${p.messageSlots})`;
  if (vectorBytes(p) > MAX_VECTOR_BYTES) return `vector of ${vectorBytes(p)} bytes exceeds ${MAX_VECTOR_BYTES}`;
  return null;
}

export function assertRoundParams(p: RoundParams): void {
  const problem = roundParamsProblem(p);
  if (problem) {
    throw new ZipnetError("ZIPNET_PARAMS_INVALID", `RoundParams invalid: ${problem}.`, {
      fix: "derive params with roundParams(window) or fix the explicit tuple",
    });
  }
}

/** sha256 of the canonical participant list; SubmitPartial carries it. */
export function participantsHash(participants: readonly ClientId[]): Uint8Array {
  const w = new Writer();
  writeIds(w, participants, "participants");
  return new Uint8Array(createHash("sha256").update(w.finish()).digest());
}

function idOf(label: string, publicKey: Uint8Array): string {
  return createHash("sha256").update(label).update(publicKey).digest("hex");
}
/** A client's id is bound to its X25519 key, so registration cannot squat another's id. */
export const clientIdOf = (publicKey: Uint8Array): ClientId => idOf("zipnet/client-id/v1", publicKey);
export const serverIdOf = (publicKey: Uint8Array): ServerId => idOf("zipnet/server-id/v1", publicKey);

// ---------------------------------------------------------------- Tx2718 datum

export function encodeTx2718(tx: Uint8Array): Uint8Array {
  if (tx.length === 0 || tx.length > MAX_TX_BYTES) {
    throw new ZipnetError("ZIPNET_DATUM_TOO_LARGE", "Tx2718: transaction does not fit one datum.", {
      expected: `1..${MAX_TX_BYTES} bytes`,
      got: tx.length,
    });
  }
  const out = new Uint8Array(DATUM_BYTES);
  new DataView(out.buffer).setUint16(0, tx.length, true);
  out.set(tx, 2);
  return out;
}

export function decodeTx2718(datum: Uint8Array): Uint8Array {
  if (datum.length !== DATUM_BYTES) throw fieldError("Tx2718", "datum", `${DATUM_BYTES} bytes`, datum.length);
  const n = datum[0]! | (datum[1]! << 8);
  if (n === 0 || n > MAX_TX_BYTES) throw fieldError("Tx2718", "length", `1..${MAX_TX_BYTES}`, n);
  // Nonzero padding means the slot was garbled: refuse rather than truncate.
  if (!isZero(datum.subarray(2 + n))) throw fieldError("Tx2718", "padding", "all zero", "nonzero bytes");
  return datum.slice(2, 2 + n);
}

// ---------------------------------------------------------------- body codecs

function writeId(w: Writer, id: string, field: string): void {
  w.raw(fromHex(id, ID_BYTES, field));
}
function readId(r: Reader, field: string): string {
  return toHex(r.raw(ID_BYTES, field));
}
function writeIds(w: Writer, ids: readonly string[], field: string): void {
  w.u32(ids.length);
  for (const id of ids) writeId(w, id, field);
}
function readIds(r: Reader, field: string, max: number): string[] {
  const n = r.u32(`${field}.count`);
  r.limit(`${field}.count`, n, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(readId(r, `${field}[${i}]`));
  return out;
}
function requireSortedUnique(what: string, field: string, ids: readonly string[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (!(ids[i - 1]! < ids[i]!)) throw fieldError(what, field, "ids sorted ascending without duplicates", `${ids[i - 1]} before ${ids[i]}`);
  }
}
function readBool(r: Reader, field: string): boolean {
  const v = r.u8(field);
  if (v > 1) throw fieldError(r.what, field, "0 or 1", v);
  return v === 1;
}
function writeVector(w: Writer, v: Uint8Array, field: string): void {
  if (v.length > MAX_VECTOR_BYTES || v.length % 4 !== 0) {
    throw new ZipnetError("ZIPNET_ENCODE_FIELD", `${field}: vector length must be a multiple of 4 and <= ${MAX_VECTOR_BYTES}.`, {
      field,
      got: v.length,
    });
  }
  w.bytes(v);
}
function readVector(r: Reader, field: string): Uint8Array {
  const v = r.bytes(field, MAX_VECTOR_BYTES);
  if (v.length % 4 !== 0) throw fieldError(r.what, `${field}.length`, "a multiple of 4", v.length);
  return v;
}
function writeKey(w: Writer, k: ParticipantKey, field: string): void {
  writeId(w, k.id, `${field}.id`);
  if (k.publicKey.length !== X25519_KEY_BYTES) {
    throw new ZipnetError("ZIPNET_ENCODE_FIELD", `${field}.publicKey must be ${X25519_KEY_BYTES} bytes.`, {
      field: `${field}.publicKey`,
      got: k.publicKey.length,
    });
  }
  w.raw(k.publicKey);
}
function readKey(r: Reader, field: string): ParticipantKey {
  return { id: readId(r, `${field}.id`), publicKey: r.raw(X25519_KEY_BYTES, `${field}.publicKey`) };
}

function writeParams(w: Writer, p: RoundParams): void {
  assertRoundParams(p);
  w.u32(p.roundPeriodMs).u32(p.minParticipants).u32(p.maxParticipants).u32(p.foldDeadlineMs);
  w.u32(p.roundDeadlineMs).u32(p.messageSlots).u32(p.reservationSlots);
}
function readParams(r: Reader): RoundParams {
  const p: RoundParams = {
    roundPeriodMs: r.u32("params.roundPeriodMs"),
    minParticipants: r.u32("params.minParticipants"),
    maxParticipants: r.u32("params.maxParticipants"),
    foldDeadlineMs: r.u32("params.foldDeadlineMs"),
    roundDeadlineMs: r.u32("params.roundDeadlineMs"),
    messageSlots: r.u32("params.messageSlots"),
    reservationSlots: r.u32("params.reservationSlots"),
  };
  const problem = roundParamsProblem(p);
  if (problem) throw fieldError(r.what, "params", "valid RoundParams", problem);
  return p;
}

function writeLive(w: Writer, l: LiveRound): void {
  w.u64(l.round).u64(l.slot).u8(l.lastInSlot ? 1 : 0);
  writeIds(w, l.clients, "live.clients");
  w.u32(l.servers.length);
  for (const s of l.servers) writeKey(w, s, "live.servers[]");
  writeParams(w, l.params);
}
function readLive(r: Reader): LiveRound {
  const round = r.u64("round");
  const slot = r.u64("slot");
  const lastInSlot = readBool(r, "lastInSlot");
  const clients = readIds(r, "clients", MAX_PARTICIPANTS);
  requireSortedUnique(r.what, "clients", clients);
  const ns = r.u32("servers.count");
  r.limit("servers.count", ns, MAX_SERVERS);
  const servers: ServerInfo[] = [];
  for (let i = 0; i < ns; i++) servers.push(readKey(r, `servers[${i}]`));
  requireSortedUnique(r.what, "servers", servers.map((s) => s.id));
  const params = readParams(r);
  if (clients.length > params.maxParticipants) throw fieldError(r.what, "clients.count", `<= maxParticipants (${params.maxParticipants})`, clients.length);
  return { round, slot, lastInSlot, clients, servers, params };
}

function writeEnvelope(w: Writer, e: ClientEnvelope): void {
  w.u64(e.round);
  writeId(w, e.clientId, "envelope.clientId");
  writeVector(w, e.vector, "envelope.vector");
}
function readEnvelope(r: Reader): ClientEnvelope {
  return { round: r.u64("round"), clientId: readId(r, "clientId"), vector: readVector(r, "vector") };
}

function writeAggregate(w: Writer, a: AggregateEnvelope): void {
  w.u64(a.round);
  writeIds(w, a.participants, "aggregate.participants");
  writeVector(w, a.vector, "aggregate.vector");
}
function readAggregate(r: Reader): AggregateEnvelope {
  const round = r.u64("round");
  const participants = readIds(r, "participants", MAX_PARTICIPANTS);
  requireSortedUnique(r.what, "participants", participants);
  return { round, participants, vector: readVector(r, "vector") };
}

function writePartial(w: Writer, p: PartialUnblind): void {
  w.u64(p.round);
  writeId(w, p.serverId, "partial.serverId");
  if (p.participantsHash.length !== 32) {
    throw new ZipnetError("ZIPNET_ENCODE_FIELD", "partial.participantsHash must be 32 bytes.", { got: p.participantsHash.length });
  }
  w.raw(p.participantsHash);
  writeVector(w, p.vector, "partial.vector");
}
function readPartial(r: Reader): PartialUnblind {
  return {
    round: r.u64("round"),
    serverId: readId(r, "serverId"),
    participantsHash: r.raw(32, "participantsHash"),
    vector: readVector(r, "vector"),
  };
}

export function writeRecord(w: Writer, b: BroadcastRecord): void {
  w.u64(b.round).u64(b.slot).u8(b.lastInSlot ? 1 : 0).u32(b.participants);
  w.u32(b.reservations.length);
  for (const res of b.reservations) {
    if (res.footprint.length !== FOOTPRINT_BYTES) {
      throw new ZipnetError("ZIPNET_ENCODE_FIELD", `reservation footprint must be ${FOOTPRINT_BYTES} bytes.`, { got: res.footprint.length });
    }
    w.u32(res.index).raw(res.footprint);
  }
  w.u32(b.messages.length);
  for (const m of b.messages) {
    if (m.datum.length !== DATUM_BYTES) {
      throw new ZipnetError("ZIPNET_ENCODE_FIELD", `broadcast datum must be ${DATUM_BYTES} bytes.`, { got: m.datum.length });
    }
    w.u32(m.slotIndex).raw(m.datum);
  }
  w.u32(b.collisions.length);
  for (const c of b.collisions) w.u32(c);
}
export function readRecord(r: Reader): BroadcastRecord {
  const round = r.u64("round");
  const slot = r.u64("slot");
  const lastInSlot = readBool(r, "lastInSlot");
  const participants = r.u32("participants");
  r.limit("participants", participants, MAX_PARTICIPANTS);
  const nr = r.u32("reservations.count");
  r.limit("reservations.count", nr, MAX_PARTICIPANTS);
  const reservations: Reservation[] = [];
  for (let i = 0; i < nr; i++) {
    const index = r.u32(`reservations[${i}].index`);
    const prev = reservations[i - 1];
    if (prev && prev.index >= index) throw fieldError(r.what, `reservations[${i}].index`, `> ${prev.index}`, index);
    reservations.push({ index, footprint: r.raw(FOOTPRINT_BYTES, `reservations[${i}].footprint`) });
  }
  const nm = r.u32("messages.count");
  r.limit("messages.count", nm, MAX_MESSAGE_SLOTS);
  const messages: BroadcastMessage[] = [];
  for (let i = 0; i < nm; i++) {
    const slotIndex = r.u32(`messages[${i}].slotIndex`);
    const prev = messages[i - 1];
    if (prev && prev.slotIndex >= slotIndex) throw fieldError(r.what, `messages[${i}].slotIndex`, `> ${prev.slotIndex}`, slotIndex);
    messages.push({ slotIndex, datum: r.raw(DATUM_BYTES, `messages[${i}].datum`) });
  }
  const nc = r.u32("collisions.count");
  r.limit("collisions.count", nc, MAX_MESSAGE_SLOTS);
  const collisions: number[] = [];
  for (let i = 0; i < nc; i++) collisions.push(r.u32(`collisions[${i}]`));
  return { round, slot, lastInSlot, participants, reservations, messages, collisions };
}

// ---------------------------------------------------------------- top-level

function versioned<T>(what: string, write: (w: Writer, v: T) => void, read: (r: Reader) => T, wireVersion = WIRE_VERSION) {
  return {
    encode(v: T): Uint8Array {
      const w = new Writer().u8(wireVersion);
      write(w, v);
      return w.finish();
    },
    decode(bytes: Uint8Array): T {
      const r = new Reader(bytes, what);
      const version = r.u8("version");
      if (version !== wireVersion) {
        throw new ZipnetError("ZIPNET_DECODE_VERSION", `${what}: unknown wire version.`, { what, expected: wireVersion, got: version });
      }
      const v = read(r);
      r.end();
      return v;
    },
  };
}

const paramsCodec = versioned("RoundParams", writeParams, readParams);
const liveCodec = versioned("LiveRound", writeLive, readLive);
const envelopeCodec = versioned("ClientEnvelope", writeEnvelope, readEnvelope, ENVELOPE_WIRE_VERSION);
const aggregateCodec = versioned("AggregateEnvelope", writeAggregate, readAggregate);
const partialCodec = versioned("PartialUnblind", writePartial, readPartial);
const recordCodec = versioned("BroadcastRecord", writeRecord, readRecord);

export const encodeRoundParams = paramsCodec.encode;
export const decodeRoundParams = paramsCodec.decode;
export const encodeLiveRound = liveCodec.encode;
export const decodeLiveRound = liveCodec.decode;
export const encodeClientEnvelope = envelopeCodec.encode;
export const decodeClientEnvelope = envelopeCodec.decode;
export const encodeAggregate = aggregateCodec.encode;
export const decodeAggregate = aggregateCodec.decode;
export const encodePartial = partialCodec.encode;
export const decodePartial = partialCodec.decode;
export const encodeBroadcastRecord = recordCodec.encode;
export const decodeBroadcastRecord = recordCodec.decode;

function writeEpochKey(w: Writer, k: ServerEpochKey): void {
  writeId(w, k.server, "key.server");
  w.u64(k.epoch);
  if (k.publicKey.length !== X25519_KEY_BYTES) {
    throw new ZipnetError("ZIPNET_ENCODE_FIELD", `key.publicKey must be ${X25519_KEY_BYTES} bytes.`, { field: "key.publicKey", got: k.publicKey.length });
  }
  w.raw(k.publicKey);
  if (k.signature.length !== EPOCH_KEY_SIGNATURE_BYTES) {
    throw new ZipnetError("ZIPNET_ENCODE_FIELD", `key.signature must be ${EPOCH_KEY_SIGNATURE_BYTES} bytes.`, { field: "key.signature", got: k.signature.length });
  }
  w.raw(k.signature);
}
function readEpochKey(r: Reader): ServerEpochKey {
  return {
    server: readId(r, "key.server"),
    epoch: r.u64("key.epoch"),
    publicKey: r.raw(X25519_KEY_BYTES, "key.publicKey"),
    signature: r.raw(EPOCH_KEY_SIGNATURE_BYTES, "key.signature"),
  };
}

function writeCommand(w: Writer, c: Command): void {
  w.u8(COMMAND_TAGS[c.type]);
  switch (c.type) {
    case "openRound":
      return writeLive(w, c.live);
    case "submitAggregate":
      return writeAggregate(w, c.aggregate);
    case "submitPartial":
      return writePartial(w, c.partial);
    case "registerClient":
      return writeKey(w, c.client, "client");
    case "registerServer":
      return writeKey(w, c.server, "server");
    case "announceServerKey":
      return writeEpochKey(w, c.key);
  }
}
function readCommand(r: Reader): Command {
  const tag = r.u8("command");
  switch (tag) {
    case COMMAND_TAGS.openRound:
      return { type: "openRound", live: readLive(r) };
    case COMMAND_TAGS.submitAggregate:
      return { type: "submitAggregate", aggregate: readAggregate(r) };
    case COMMAND_TAGS.submitPartial:
      return { type: "submitPartial", partial: readPartial(r) };
    case COMMAND_TAGS.registerClient:
      return { type: "registerClient", client: readKey(r, "client") };
    case COMMAND_TAGS.registerServer:
      return { type: "registerServer", server: readKey(r, "server") };
    case COMMAND_TAGS.announceServerKey:
      return { type: "announceServerKey", key: readEpochKey(r) };
    default:
      throw new ZipnetError("ZIPNET_DECODE_TAG", "Command: unknown command tag.", { what: "Command", expected: "1..6", got: tag });
  }
}
const commandCodec = versioned("Command", writeCommand, readCommand);
export const encodeCommand = commandCodec.encode;
export const decodeCommand = commandCodec.decode;

/** The command type of an encoded Command from its first two bytes (version, tag), without decoding it; null if neither is known. */
export function commandTypeOf(bytes: Uint8Array): Command["type"] | null {
  if (bytes.length < 2 || bytes[0] !== WIRE_VERSION) return null;
  for (const [type, tag] of Object.entries(COMMAND_TAGS)) if (tag === bytes[1]) return type as Command["type"];
  return null;
}
