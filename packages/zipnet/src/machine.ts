// The zipnet committee's Raft state machine.
//
// Determinism rules (every member must reach identical state from the same log):
// - apply never reads the clock, the network or randomness; deadlines are the
//   leader's business (it proposes OpenRound / the aggregator its aggregate);
// - iteration that reaches state or output is over sorted keys, never Map order;
// - rejections change only counters; a rejected command never touches a round;
// - commands are idempotent: the first valid one wins, exact repeats are ignored;
// - the epoch of a round is epochOfRound(round, its params' period): no clock.
import { verifyEpochKey } from "./core/epoch-key-signature.js";
import { Reader, Writer, bytesEqual } from "./bytes.js";
import { ZipnetError } from "./errors.js";
import {
  MAX_PARTICIPANTS,
  MAX_SERVERS,
  clientIdOf,
  decodeCommand,
  encodeAggregate,
  encodeLiveRound,
  decodeAggregate,
  decodeLiveRound,
  participantsHash,
  readRecord,
  roundParamsProblem,
  serverIdOf,
  vectorBytes,
  writeRecord,
  type AggregateEnvelope,
  type BroadcastRecord,
  type ClientId,
  type ClientInfo,
  type Command,
  type LiveRound,
  type PartialUnblind,
  type AnnouncedEpochKey,
  type ServerEpochKey,
  type ServerId,
  type ServerInfo,
} from "./proto.js";
import { finalizeRound } from "./core/finalize.js";
import { epochOfRound } from "./core/epochs.js";

import type { StateMachine, ApplyContext } from "@builder/raft";

export type CommandType = Command["type"];

export type RejectReason =
  | "malformed"
  // OpenRound
  | "round_not_next"
  | "servers_mismatch"
  | "unregistered_client"
  | "too_many_clients"
  | "invalid_params"
  | "epoch_key_missing"
  | "client_not_admitted"
  // AnnounceServerKey
  | "epoch_not_next"
  | "epoch_key_conflict"
  // SubmitAggregate / SubmitPartial
  | "no_live_round"
  | "wrong_round"
  | "round_finalized"
  | "participants_not_in_round"
  | "too_few_participants"
  | "wrong_length"
  | "aggregate_conflict"
  | "no_aggregate"
  | "unknown_server"
  | "participants_mismatch"
  // Register*
  | "id_mismatch"
  | "roster_full"
  | "registry_full"
  | "bad_signature";

export type ApplyResult =
  | { readonly status: "accepted"; readonly command: CommandType; readonly finalized: BroadcastRecord | null }
  | { readonly status: "ignored"; readonly command: CommandType; readonly reason: "duplicate" }
  | { readonly status: "rejected"; readonly command: CommandType | "unknown"; readonly reason: RejectReason; readonly detail: string };

interface RoundState {
  live: LiveRound;
  aggregate: AggregateEnvelope | null;
  aggregateHash: Uint8Array | null;
  partials: Map<ServerId, Uint8Array>;
  finalized: boolean;
}

export interface MachineOptions {
  /** Broadcast records kept in state (older ones were already served downstream). */
  readonly retainRecords?: number;
}

export interface MachineCounters {
  readonly accepted: Readonly<Record<string, number>>;
  readonly ignored: Readonly<Record<string, number>>;
  readonly rejected: Readonly<Record<string, number>>;
  readonly roundsFinalized: number;
  readonly roundsAbandoned: number;
}

/** 2: key epochs (announced server keys, each client's first epoch); docs/adr/0006. */
const SNAPSHOT_VERSION = 2;

function inc(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}
function sortedRecord(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export class ZipnetMachine implements StateMachine<ApplyResult> {
  private clients = new Map<ClientId, Uint8Array>();
  /**
   * The first epoch whose rounds may list each client: the epoch after the one
   * live when it registered (0 before any round). Servers derive an epoch's
   * chains for exactly these clients when it opens, then erase the epoch key.
   */
  private clientEpochs = new Map<ClientId, number>();
  private servers = new Map<ServerId, Uint8Array>();
  /** Announced per-epoch server keys; only the live epoch and the next one are kept. */
  private epochKeys = new Map<number, Map<ServerId, Uint8Array>>();
  private lastRound = 0;
  private current: RoundState | null = null;
  private records: BroadcastRecord[] = [];
  private accepted = new Map<string, number>();
  private ignored = new Map<string, number>();
  private rejected = new Map<string, number>();
  private finalizedCount = 0;
  private abandonedCount = 0;
  private readonly retain: number;

  constructor(opts: MachineOptions = {}) {
    this.retain = opts.retainRecords ?? 1024;
  }

  // ------------------------------------------------------------ apply

  apply(command: Uint8Array, _ctx: ApplyContext): ApplyResult {
    let cmd: Command;
    try {
      cmd = decodeCommand(command);
    } catch (e) {
      return this.reject("unknown", "malformed", e instanceof ZipnetError ? e.message.split("\n")[0]! : String(e));
    }
    switch (cmd.type) {
      case "registerClient":
        return this.registerClient(cmd.client);
      case "registerServer":
        return this.registerServer(cmd.server);
      case "openRound":
        return this.openRound(cmd.live);
      case "submitAggregate":
        return this.submitAggregate(cmd.aggregate);
      case "submitPartial":
        return this.submitPartial(cmd.partial);
      case "announceServerKey":
        return this.announceServerKey(cmd.key);
    }
  }

  /** Epoch of the live round; -1 before the first round. */
  private currentEpoch(): number {
    const live = this.current?.live;
    return live ? epochOfRound(live.round, live.params.roundPeriodMs) : -1;
  }

  private reject(command: CommandType | "unknown", reason: RejectReason, detail: string): ApplyResult {
    inc(this.rejected, reason);
    return { status: "rejected", command, reason, detail };
  }
  private ignore(command: CommandType): ApplyResult {
    inc(this.ignored, command);
    return { status: "ignored", command, reason: "duplicate" };
  }
  private accept(command: CommandType, finalized: BroadcastRecord | null = null): ApplyResult {
    inc(this.accepted, command);
    return { status: "accepted", command, finalized };
  }

  private registerClient(c: ClientInfo): ApplyResult {
    if (clientIdOf(c.publicKey) !== c.id) return this.reject("registerClient", "id_mismatch", "client id must be clientIdOf(publicKey)");
    if (this.clients.has(c.id)) return this.ignore("registerClient");
    // Every server keeps a pad chain per admitted client; the chain-state file holds at most this many.
    if (this.clients.size >= MAX_PARTICIPANTS) return this.reject("registerClient", "registry_full", `at most ${MAX_PARTICIPANTS} clients`);
    this.clients.set(c.id, c.publicKey);
    this.clientEpochs.set(c.id, this.currentEpoch() + 1);
    return this.accept("registerClient");
  }

  private registerServer(s: ServerInfo): ApplyResult {
    if (serverIdOf(s.publicKey) !== s.id) return this.reject("registerServer", "id_mismatch", "server id must be serverIdOf(publicKey)");
    if (this.servers.has(s.id)) return this.ignore("registerServer");
    if (this.servers.size >= MAX_SERVERS) return this.reject("registerServer", "roster_full", `at most ${MAX_SERVERS} servers`);
    this.servers.set(s.id, s.publicKey);
    return this.accept("registerServer");
  }

  private announceServerKey(k: ServerEpochKey): ApplyResult {
    const signingKey = this.servers.get(k.server);
    if (!signingKey) return this.reject("announceServerKey", "unknown_server", `server ${k.server} is not registered`);
    // Only the server itself can name its pad key: anyone else's key would let them unmask every client.
    if (!verifyEpochKey(signingKey, k)) return this.reject("announceServerKey", "bad_signature", `the key for epoch ${k.epoch} is not signed by server ${k.server}`);
    const have = this.epochKeys.get(k.epoch)?.get(k.server);
    if (have) {
      // A key once announced is what clients derive with: it never changes.
      return bytesEqual(have, k.publicKey)
        ? this.ignore("announceServerKey")
        : this.reject("announceServerKey", "epoch_key_conflict", `server ${k.server} already announced a different key for epoch ${k.epoch}`);
    }
    // Rule: only the epoch after the live one (epoch 0 before any round), so state holds two epochs at most.
    const next = this.currentEpoch() + 1;
    if (k.epoch !== next) return this.reject("announceServerKey", "epoch_not_next", `expected epoch ${next}, got ${k.epoch}`);
    let m = this.epochKeys.get(k.epoch);
    if (!m) this.epochKeys.set(k.epoch, (m = new Map()));
    m.set(k.server, k.publicKey);
    return this.accept("announceServerKey");
  }

  private openRound(live: LiveRound): ApplyResult {
    const cur = this.current;
    if (cur && bytesEqual(encodeLiveRound(cur.live), encodeLiveRound(live))) return this.ignore("openRound");
    // Rule: rounds are consecutive, so a client's ratchet and a slot's rounds have no gaps.
    if (live.round !== this.lastRound + 1) return this.reject("openRound", "round_not_next", `expected round ${this.lastRound + 1}, got ${live.round}`);
    const problem = roundParamsProblem(live.params);
    if (problem) return this.reject("openRound", "invalid_params", problem);
    // Rule: the roster is exactly the registered servers (anytrust needs every one of them),
    // each with the key it announced for the round's epoch (never its identity key).
    const roster = [...this.servers.keys()].sort();
    const same = roster.length > 0 && roster.length === live.servers.length && live.servers.every((s, i) => s.id === roster[i]);
    if (!same) return this.reject("openRound", "servers_mismatch", `roster must equal the ${roster.length} registered servers`);
    const epoch = epochOfRound(live.round, live.params.roundPeriodMs);
    const keys = this.epochKeys.get(epoch);
    const unannounced = roster.filter((id) => !keys?.has(id));
    if (unannounced.length > 0) return this.reject("openRound", "epoch_key_missing", `no key announced for epoch ${epoch} by ${unannounced.join(", ")}`);
    const wrongKey = live.servers.find((s) => !bytesEqual(s.publicKey, keys!.get(s.id)!));
    if (wrongKey) return this.reject("openRound", "servers_mismatch", `server ${wrongKey.id}: key is not its announced key for epoch ${epoch}`);
    if (live.clients.length > live.params.maxParticipants) {
      return this.reject("openRound", "too_many_clients", `${live.clients.length} > maxParticipants ${live.params.maxParticipants}`);
    }
    const stranger = live.clients.find((c) => !this.clients.has(c));
    if (stranger) return this.reject("openRound", "unregistered_client", `client ${stranger} is not registered`);
    // Rule: servers derived this epoch's chains when it opened; a client registered since joins at the next one.
    const late = live.clients.find((c) => this.clientEpochs.get(c)! > epoch);
    if (late) return this.reject("openRound", "client_not_admitted", `client ${late} takes part from epoch ${this.clientEpochs.get(late)}, the round is in epoch ${epoch}`);
    for (const e of [...this.epochKeys.keys()]) if (e < epoch) this.epochKeys.delete(e);
    if (cur && !cur.finalized) this.abandonedCount++;
    this.current = { live, aggregate: null, aggregateHash: null, partials: new Map(), finalized: false };
    this.lastRound = live.round;
    return this.accept("openRound");
  }

  private roundFor(command: CommandType, round: number): RoundState | ApplyResult {
    const cur = this.current;
    if (!cur) return this.reject(command, "no_live_round", "no round has been opened");
    if (round !== cur.live.round) return this.reject(command, "wrong_round", `live round is ${cur.live.round}, got ${round}`);
    // Its vectors were dropped at finalization; late retries are refused, not compared.
    if (cur.finalized) return this.reject(command, "round_finalized", `round ${round} is already in Broadcasts`);
    return cur;
  }

  private submitAggregate(a: AggregateEnvelope): ApplyResult {
    const cur = this.roundFor("submitAggregate", a.round);
    if (!("live" in cur)) return cur;
    if (cur.aggregate) {
      return bytesEqual(encodeAggregate(cur.aggregate), encodeAggregate(a))
        ? this.ignore("submitAggregate")
        : this.reject("submitAggregate", "aggregate_conflict", "an aggregate for this round is already committed");
    }
    const members = new Set(cur.live.clients);
    const outsider = a.participants.find((c) => !members.has(c));
    if (outsider) return this.reject("submitAggregate", "participants_not_in_round", `participant ${outsider} is not in the LiveRound`);
    const min = cur.live.params.minParticipants;
    if (a.participants.length < min) return this.reject("submitAggregate", "too_few_participants", `${a.participants.length} < ${min}`);
    const n = vectorBytes(cur.live.params);
    if (a.vector.length !== n) return this.reject("submitAggregate", "wrong_length", `expected ${n} bytes, got ${a.vector.length}`);
    cur.aggregate = a;
    cur.aggregateHash = participantsHash(a.participants);
    return this.accept("submitAggregate");
  }

  private submitPartial(p: PartialUnblind): ApplyResult {
    const cur = this.roundFor("submitPartial", p.round);
    if (!("live" in cur)) return cur;
    if (!cur.live.servers.some((s) => s.id === p.serverId)) return this.reject("submitPartial", "unknown_server", `server ${p.serverId} is not in the round's roster`);
    const have = cur.partials.get(p.serverId);
    if (have) return bytesEqual(have, p.vector) ? this.ignore("submitPartial") : this.reject("submitPartial", "aggregate_conflict", "a different partial from this server is already committed");
    if (!cur.aggregate || !cur.aggregateHash) return this.reject("submitPartial", "no_aggregate", "the round's aggregate is not committed yet");
    if (!bytesEqual(cur.aggregateHash, p.participantsHash)) return this.reject("submitPartial", "participants_mismatch", "partial covers a different participant set");
    if (p.vector.length !== cur.aggregate.vector.length) {
      return this.reject("submitPartial", "wrong_length", `expected ${cur.aggregate.vector.length} bytes, got ${p.vector.length}`);
    }
    cur.partials.set(p.serverId, p.vector);
    if (cur.partials.size < cur.live.servers.length) return this.accept("submitPartial");
    return this.accept("submitPartial", this.finalize(cur));
  }

  private finalize(cur: RoundState): BroadcastRecord {
    const partials = cur.live.servers.map((s) => cur.partials.get(s.id)!);
    const last = this.records[this.records.length - 1] ?? null;
    const { record } = finalizeRound({ live: cur.live, aggregate: cur.aggregate!, partials, previous: last });
    cur.finalized = true;
    // The round's vectors are no longer needed: the record is the public output.
    cur.aggregate = { ...cur.aggregate!, vector: new Uint8Array(0) };
    cur.partials.clear();
    this.records.push(record);
    if (this.records.length > this.retain) this.records.splice(0, this.records.length - this.retain);
    this.finalizedCount++;
    return record;
  }

  // ------------------------------------------------------------ views

  broadcasts(fromRound = 0): readonly BroadcastRecord[] {
    return this.records.filter((r) => r.round >= fromRound);
  }
  liveRound(): LiveRound | null {
    return this.current?.live ?? null;
  }
  /** Whether the live round has finalized; false while partials are missing (stalled). */
  liveRoundFinalized(): boolean {
    return this.current?.finalized ?? false;
  }
  /** The committed aggregate of the live round (servers compute partials over it). */
  liveAggregate(): AggregateEnvelope | null {
    return this.current && !this.current.finalized ? this.current.aggregate : null;
  }
  clientRegistry(): readonly ClientInfo[] {
    return [...this.clients.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, publicKey]) => ({ id, publicKey }));
  }
  /** The epoch of the live round, -1 before the first round. */
  liveEpoch(): number {
    return this.currentEpoch();
  }
  /** The first epoch whose rounds may list the client (undefined if unregistered). */
  clientFirstEpoch(id: ClientId): number | undefined {
    return this.clientEpochs.get(id);
  }
  /** Registered clients that rounds of `epoch` may list, sorted by id. */
  clientsAdmitted(epoch: number): readonly ClientInfo[] {
    return this.clientRegistry().filter((c) => this.clientEpochs.get(c.id)! <= epoch);
  }
  /** Keys announced for an epoch (kept: the live epoch and the next), sorted by server id. */
  serverEpochKeys(epoch: number): readonly AnnouncedEpochKey[] {
    const m = this.epochKeys.get(epoch);
    if (!m) return [];
    return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([server, publicKey]) => ({ server, epoch, publicKey }));
  }
  serverRegistry(): readonly ServerInfo[] {
    return [...this.servers.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, publicKey]) => ({ id, publicKey }));
  }
  counters(): MachineCounters {
    return {
      accepted: sortedRecord(this.accepted),
      ignored: sortedRecord(this.ignored),
      rejected: sortedRecord(this.rejected),
      roundsFinalized: this.finalizedCount,
      roundsAbandoned: this.abandonedCount,
    };
  }

  // ------------------------------------------------------------ snapshot

  snapshot(): Uint8Array {
    const w = new Writer().u8(SNAPSHOT_VERSION);
    const keys = (list: readonly { id: string; publicKey: Uint8Array }[]) => {
      w.u32(list.length);
      for (const k of list) w.raw(Buffer.from(k.id, "hex")).raw(k.publicKey);
    };
    keys(this.clientRegistry());
    for (const c of this.clientRegistry()) w.u64(this.clientEpochs.get(c.id)!);
    keys(this.serverRegistry());
    const epochs = [...this.epochKeys.keys()].sort((a, b) => a - b);
    w.u32(epochs.length);
    for (const e of epochs) {
      w.u64(e);
      keys(this.serverEpochKeys(e).map((k) => ({ id: k.server, publicKey: k.publicKey })));
    }
    w.u64(this.lastRound);
    const cur = this.current;
    w.u8(cur ? 1 : 0);
    if (cur) {
      w.bytes(encodeLiveRound(cur.live)).u8(cur.finalized ? 1 : 0).u8(cur.aggregate ? 1 : 0);
      if (cur.aggregate) w.bytes(encodeAggregate(cur.aggregate));
      const partials = [...cur.partials.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      w.u32(partials.length);
      for (const [id, v] of partials) w.raw(Buffer.from(id, "hex")).bytes(v);
    }
    w.u32(this.records.length);
    for (const r of this.records) writeRecord(w, r);
    for (const m of [this.accepted, this.ignored, this.rejected]) {
      const entries = Object.entries(sortedRecord(m));
      w.u32(entries.length);
      for (const [k, v] of entries) w.bytes(new TextEncoder().encode(k)).u64(v);
    }
    w.u64(this.finalizedCount).u64(this.abandonedCount);
    return w.finish();
  }

  restore(data: Uint8Array): void {
    try {
      this.restoreUnchecked(data);
    } catch (e) {
      if (e instanceof ZipnetError && e.code === "ZIPNET_SNAPSHOT_INVALID") throw e;
      throw new ZipnetError("ZIPNET_SNAPSHOT_INVALID", `zipnet snapshot is unreadable: ${(e as Error).message.split("\n")[0]}`, {
        bytes: data.length,
      });
    }
  }

  private restoreUnchecked(data: Uint8Array): void {
    const r = new Reader(data, "ZipnetSnapshot");
    const v = r.u8("version");
    if (v === 1) {
      throw new ZipnetError("ZIPNET_SNAPSHOT_INVALID", "zipnet snapshot version 1 predates key epochs and cannot be migrated (its rounds used the servers' identity keys).", {
        expected: SNAPSHOT_VERSION,
        got: v,
        fix: "start this member with an empty data dir so it catches up from its peers (docs/adr/0006)",
      });
    }
    if (v !== SNAPSHOT_VERSION) throw new ZipnetError("ZIPNET_SNAPSHOT_INVALID", "unknown zipnet snapshot version.", { expected: SNAPSHOT_VERSION, got: v });
    const keys = (field: string) => {
      const n = r.u32(`${field}.count`);
      r.limit(`${field}.count`, n, 1 << 20);
      const m = new Map<string, Uint8Array>();
      for (let i = 0; i < n; i++) m.set(Buffer.from(r.raw(32, `${field}.id`)).toString("hex"), r.raw(32, `${field}.publicKey`));
      return m;
    };
    const clients = keys("clients");
    const clientEpochs = new Map<ClientId, number>();
    for (const id of clients.keys()) clientEpochs.set(id, r.u64("clients.firstEpoch"));
    const servers = keys("servers");
    const ne = r.u32("epochKeys.count");
    r.limit("epochKeys.count", ne, 2);
    const epochKeys = new Map<number, Map<ServerId, Uint8Array>>();
    for (let i = 0; i < ne; i++) epochKeys.set(r.u64("epochKeys.epoch"), keys("epochKeys"));
    const lastRound = r.u64("lastRound");
    let current: RoundState | null = null;
    if (r.u8("current") === 1) {
      const live = decodeLiveRound(r.bytes("live", 1 << 26));
      const finalized = r.u8("finalized") === 1;
      const aggregate = r.u8("hasAggregate") === 1 ? decodeAggregate(r.bytes("aggregate", 1 << 26)) : null;
      const np = r.u32("partials.count");
      r.limit("partials.count", np, MAX_SERVERS);
      const partials = new Map<ServerId, Uint8Array>();
      for (let i = 0; i < np; i++) partials.set(Buffer.from(r.raw(32, "partial.id")).toString("hex"), r.bytes("partial", 1 << 26));
      current = { live, finalized, aggregate, aggregateHash: aggregate ? participantsHash(aggregate.participants) : null, partials };
    }
    const nr = r.u32("records.count");
    r.limit("records.count", nr, 1 << 20);
    const records: BroadcastRecord[] = [];
    for (let i = 0; i < nr; i++) records.push(readRecord(r));
    const counters = () => {
      const n = r.u32("counters.count");
      r.limit("counters.count", n, 256);
      const m = new Map<string, number>();
      for (let i = 0; i < n; i++) m.set(new TextDecoder().decode(r.bytes("counter.name", 64)), r.u64("counter.value"));
      return m;
    };
    const accepted = counters();
    const ignored = counters();
    const rejected = counters();
    const finalizedCount = r.u64("roundsFinalized");
    const abandonedCount = r.u64("roundsAbandoned");
    r.end();
    Object.assign(this, { clients, clientEpochs, servers, epochKeys, lastRound, current, records, accepted, ignored, rejected, finalizedCount, abandonedCount });
  }
}
