// A zipnet server: a voting member of the zipnet committee. It registers its
// identity X25519 key, announces a fresh pad key for each coming key epoch,
// opens rounds while it leads, computes its partial over each committed
// aggregate, serves the public collections and client registration.
// start/stop register and remove every handler.
import { setTimeout as sleep } from "node:timers/promises";
import {
  guardProtocol,
  serveCollection,
  silentLogger,
  startCommittee,
  type Committee,
  type CollectionServer,
  type NetLogger,
  type TicketClaims,
  type TicketGuard,
} from "@builder/net";
import type { LatticeConfig } from "@builder/lattice-config";
import type { RaftMetrics } from "@builder/raft";
import { describeError } from "./describe.js";
import { ZipnetError } from "../errors.js";
import { epochOfRound, firstRoundOfEpoch } from "../core/epochs.js";
import { computePartial, type UnblindPool } from "../core/server-unblind.js";
import type { ApplyResult } from "../machine.js";
import { ZIPNET_METRICS as M, type ZipnetMetricsSink } from "../metrics.js";
import { clientIdOf, commandTypeOf, encodeCommand, serverIdOf, X25519_KEY_BYTES, type Command, type PartialUnblind } from "../proto.js";
import { ServerEpochKeys, type EpochReadiness } from "./epoch-keys.js";
import { zipnetIds, ZIPNET_COLLECTIONS, type ZipnetIds } from "./ids.js";
import { ReplicatedZipnet, type AppliedCommand } from "./replicated.js";
import { nextRound } from "./round-opener.js";
import { signEpochKey, signingKeyFromPeerSecret } from "../core/epoch-key-signature.js";
import { encodeVerdict } from "./wire.js";

export interface ZipnetServerOptions {
  config: LatticeConfig;
  /** `ZIPNET_SECRET_FILE` content: peer identity and (derived) the identity X25519 key, never used for pads. */
  secret: Uint8Array;
  /** `ZIPNET_COMMITTEE_SECRET_FILE` content. */
  committeeSecret: Uint8Array;
  /** Peer ids of the three servers (the voters), this one included. */
  members: readonly string[];
  bootstrap?: readonly string[];
  listen?: string[];
  /** Raft storage and, under `zipnet-keys/`, the epoch keys and pad chains (docs/adr/0006). */
  dataDir: string;
  /** Checks the lattice read ticket of readers, registering clients and the aggregator. */
  verifyTicket: (token: string) => Promise<TicketClaims>;
  /** Raft timing; the defaults suit loopback and LAN. */
  raft?: { tickMs?: number; electionTick?: number; heartbeatTick?: number; snapshotEvery?: number; metrics?: RaftMetrics };
  /** Shards large partials across worker threads (optional). */
  pool?: UnblindPool | null;
  logger?: NetLogger;
  metrics?: ZipnetMetricsSink;
  /** Label for `zipnet_server_up{member}`. */
  member?: string;
  nowMs?: () => number;
}

export interface ZipnetServer {
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  readonly serverId: string;
  readonly committee: Committee<ApplyResult>;
  readonly state: ReplicatedZipnet;
  readonly ids: ZipnetIds;
  /** This server's epoch keys and pad chains (tests read them through secretsForTest()). */
  readonly epochKeys: ServerEpochKeys;
  /** Every command this member applied, in log order (synchronously, inside apply). */
  onApplied(l: (a: AppliedCommand) => void): () => void;
  stop(): Promise<void>;
}

/** How often the node checks its round timers; a fraction of the shortest period. */
const tickMsFor = (periodMs: number): number => Math.max(10, Math.min(100, Math.floor(periodMs / 10)));

export async function startZipnetServer(o: ZipnetServerOptions): Promise<ZipnetServer> {
  const ids = zipnetIds(o.config);
  const logger = o.logger ?? silentLogger;
  const metrics = o.metrics;
  const now = o.nowMs ?? Date.now;
  const memberLabel = { member: o.member ?? "server" };
  // The identity key names the server (ServerId) and signs its epoch keys; pads use the epoch keys (docs/adr/0006).
  const key = signingKeyFromPeerSecret(o.secret);
  const serverId = serverIdOf(key.publicKey);
  const state = new ReplicatedZipnet(ids.collections);
  const epochKeys = await ServerEpochKeys.open({ dataDir: o.dataDir, groupId: ids.groupId, serverId, logger });

  // Node-local timing of the live round (apply order, this member's clock).
  const openedAt = new Map<number, number>();
  let stalledReported = 0;
  const partials = new Map<number, PartialUnblind>();
  const inFlight = new Set<number>();
  let running = true;

  state.onApplied((a) => {
    const r = a.result;
    if (r.status === "rejected") metrics?.inc(M.commandsRejected, { reason: r.reason });
    if (r.status !== "accepted" || !a.command) return;
    if (a.command.type === "openRound") {
      const round = a.command.live.round;
      const prev = openedAt.get(round - 1);
      if (prev !== undefined && !state.machine.broadcasts(round - 1).some((b) => b.round === round - 1)) metrics?.inc(M.roundsAbandoned);
      openedAt.clear();
      openedAt.set(round, now());
      partials.clear();
      metrics?.set(M.liveRound, round);
      // Out of apply: entering an epoch costs an X25519 agreement per admitted client.
      setImmediate(() => void syncEpoch());
    }
    if (r.finalized) {
      const t0 = openedAt.get(r.finalized.round);
      const latencyMs = t0 === undefined ? null : now() - t0;
      if (latencyMs !== null) metrics?.observe?.(M.roundCommitLatency, latencyMs / 1000);
      const f = r.finalized;
      // One line per round (≤ 1/s interactive): the round's outcome is what an operator follows.
      logger.info({ round: f.round, slot: f.slot, participants: f.participants, messages: f.messages.length, collisions: f.collisions.length, latencyMs }, "zipnet: round finalized");
      metrics?.inc(M.broadcastsAppended);
      if (stalledReported === r.finalized.round) logger.info({ round: r.finalized.round }, "zipnet: stalled round finalized");
      metrics?.set(M.roundStalled, 0);
    }
    if (a.command.type === "submitAggregate") {
      const round = a.command.aggregate.round;
      // Out of apply: the partial costs a CTR pass per participant.
      setImmediate(() => void contributePartial(round));
    }
  });

  const committee = await startCommittee<ApplyResult>({
    organism: "zipnet",
    groupId: ids.groupId,
    secret: o.secret,
    committeeSecret: o.committeeSecret,
    members: o.members,
    ...(o.bootstrap ? { bootstrap: o.bootstrap } : {}),
    ...(o.listen ? { listen: o.listen } : {}),
    dataDir: o.dataDir,
    stateMachine: state,
    ...(o.raft ? { raft: o.raft } : {}),
    discovery: { announce: ZIPNET_COLLECTIONS.map((c) => ids.collections[c]) },
    // Aggregates and partials are whole vectors: room for the archival maximum.
    maxProposalBytes: 8 * 1024 * 1024,
    // The aggregator is admitted but does not vote: it may forward its aggregate
    // and nothing else (in particular not a server's epoch key; docs/adr/0006).
    acceptForwarded: (from, data) =>
      o.members.includes(from) || commandTypeOf(data) === "submitAggregate" ? null : `a non-member may forward only submitAggregate, not ${commandTypeOf(data) ?? "an unknown command"}`,
    ...(metrics ? { metrics } : {}),
    logger,
  });
  const stops: (() => Promise<unknown>)[] = [() => committee.stop()];

  // The chains follow the live round: derived when its epoch opens (then the
  // epoch key is erased), advanced past every round that is over. One at a time.
  let epochSync: Promise<void> = Promise.resolve();
  let readiness: { round: number; state: EpochReadiness } | null = null;
  const syncEpoch = (): Promise<void> => {
    epochSync = epochSync
      .then(async () => {
        const live = state.machine.liveRound();
        if (!live || !running || (readiness && readiness.round >= live.round)) return;
        const period = live.params.roundPeriodMs;
        const epoch = epochOfRound(live.round, period);
        const ours = live.servers.find((s) => s.id === serverId)?.publicKey;
        const st = await epochKeys.enter({ epoch, round: live.round, firstRound: firstRoundOfEpoch(epoch, period), clients: state.machine.clientsAdmitted(epoch), ...(ours ? { publicKey: ours } : {}) });
        readiness = { round: live.round, state: st };
        metrics?.set(M.epochSittingOut, st === "sitting_out" ? 1 : 0);
      })
      .catch((err: unknown) => logger.error({ err: describeError(err) }, "zipnet: cannot bring the pad chains to the live round"));
    return epochSync;
  };

  // Announce our key for the epoch after the live one, once (the machine keeps the first).
  let announcing = false;
  const announceNextKey = async (): Promise<void> => {
    if (announcing || !running || !state.machine.serverRegistry().some((s) => s.id === serverId)) return;
    // While replaying the log the live epoch is an old one: wait until applied catches up with commit.
    const st = committee.status();
    if (st.applied < st.commit) return;
    const epoch = state.machine.liveEpoch() + 1;
    if (state.machine.serverEpochKeys(epoch).some((k) => k.server === serverId)) return;
    announcing = true;
    try {
      // Written to disk (fsync) before it can be committed: a crash never leaves an announced key we do not hold.
      const publicKey = await epochKeys.publicKeyFor(epoch);
      const r = await propose({ type: "announceServerKey", key: { server: serverId, epoch, publicKey, signature: signEpochKey(key.privateKey, { server: serverId, epoch, publicKey }) } }, 10_000);
      if (r.status === "rejected") logger.warn({ epoch, reason: r.reason, detail: r.detail }, "zipnet: our epoch key announcement was rejected");
      else logger.debug({ epoch }, "zipnet: epoch key announced");
    } catch (err) {
      logger.debug({ epoch, err: describeError(err) }, "zipnet: epoch key not announced yet; retrying");
    } finally {
      announcing = false;
    }
  };

  async function contributePartial(round: number): Promise<void> {
    if (!running || inFlight.has(round)) return;
    const live = state.machine.liveRound();
    const aggregate = state.machine.liveAggregate();
    if (!live || live.round !== round || !aggregate || aggregate.round !== round) return;
    if (!live.servers.some((s) => s.id === serverId) || state.partialsCommitted().has(serverId)) return;
    inFlight.add(round);
    try {
      let partial = partials.get(round);
      if (!partial) {
        await syncEpoch();
        if (readiness?.round !== round || readiness.state !== "ready") return;
        // The chains advance past this round (and are persisted) before the partial leaves this process.
        partial = await epochKeys.serve(round, (ratchet) =>
          computePartial({
            aggregate,
            serverId,
            padKeyFor: (c) => {
              const r = ratchet(c);
              if (!r) throw new ZipnetError("ZIPNET_KEY_INVALID", "partial: no pad chain for an aggregate participant in this epoch.", { client: c, round, fix: "the machine admits only clients registered before the epoch opened" });
              return r.padKey({ groupId: ids.groupId, round, slot: live.slot, params: live.params, clientId: c, serverId });
            },
            pool: o.pool ?? null,
          }),
        );
        partials.set(round, partial);
      }
      const deadline = now() + live.params.roundPeriodMs * 4;
      while (running && now() < deadline && state.machine.liveRound()?.round === round && !state.partialsCommitted().has(serverId)) {
        try {
          const res = await committee.propose(encodeCommand({ type: "submitPartial", partial }), { timeoutMs: Math.max(1, deadline - now()) });
          if (res.result.status === "rejected") logger.warn({ round, reason: res.result.reason, detail: res.result.detail }, "zipnet: our partial was rejected");
          break;
        } catch (err) {
          logger.debug({ round, err: describeError(err) }, "zipnet: partial proposal failed; retrying");
          await sleep(50);
        }
      }
    } catch (err) {
      logger.error({ round, err: describeError(err) }, "zipnet: cannot compute our partial");
    } finally {
      inFlight.delete(round);
    }
  }

  const propose = async (cmd: Command, timeoutMs: number): Promise<ApplyResult> => (await committee.propose(encodeCommand(cmd), { timeoutMs })).result;

  // Register our key until the committee has it (a restarted member finds it already there).
  const registerSelf = async (): Promise<void> => {
    while (running && !state.machine.serverRegistry().some((s) => s.id === serverId)) {
      try {
        const r = await propose({ type: "registerServer", server: { id: serverId, publicKey: key.publicKey } }, 10_000);
        if (r.status === "rejected") {
          logger.error({ reason: r.reason, detail: r.detail }, "zipnet: server registration rejected");
          return;
        }
      } catch (err) {
        logger.debug({ err: describeError(err) }, "zipnet: server registration not committed yet; retrying");
        await sleep(100);
      }
    }
  };
  void registerSelf();

  // Round timer: the leader opens rounds on the period; every member reports stalls.
  let opening = false;
  let keysMissingReported = -1;
  const tick = async (): Promise<void> => {
    if (!running) return;
    void announceNextKey();
    const live = state.machine.liveRound();
    const t = now();
    if (live && !state.machine.liveRoundFinalized()) {
      const t0 = openedAt.get(live.round);
      if (t0 !== undefined && t > t0 + live.params.roundDeadlineMs && stalledReported !== live.round) {
        stalledReported = live.round;
        const missing = live.servers.map((s) => s.id).filter((s) => !state.partialsCommitted().has(s));
        metrics?.set(M.roundStalled, 1);
        logger.warn(
          { round: live.round, aggregate: state.machine.liveAggregate() !== null, missingServers: missing },
          "zipnet: round stalled past its deadline",
        );
      }
    }
    if (opening || committee.status().role !== "leader") return;
    const d = nextRound({
      nowMs: t,
      live,
      openedAtMs: live ? (openedAt.get(live.round) ?? null) : null,
      clients: state.machine.clientRegistry(),
      clientFirstEpoch: (id) => state.machine.clientFirstEpoch(id),
      servers: state.machine.serverRegistry(),
      epochKeys: (e) => state.machine.serverEpochKeys(e),
      expectedServers: o.config.zipnet.servers,
      params: ids.params,
      slot: ids.slot,
    });
    if (!d.open) {
      if (d.why === "epoch_keys_missing") {
        metrics?.set(M.epochKeysMissing, d.missing.length);
        if (keysMissingReported !== d.epoch) {
          keysMissingReported = d.epoch;
          logger.warn({ epoch: d.epoch, missingServers: d.missing }, "zipnet: cannot open the next round: servers have not announced their key for its epoch");
        }
      }
      return;
    }
    metrics?.set(M.epochKeysMissing, 0);
    opening = true;
    try {
      const r = await propose({ type: "openRound", live: d.live }, ids.params.roundPeriodMs);
      if (r.status === "rejected") logger.warn({ round: d.live.round, reason: r.reason, detail: r.detail }, "zipnet: OpenRound rejected");
    } catch (err) {
      logger.debug({ round: d.live.round, err: describeError(err) }, "zipnet: OpenRound not committed");
    } finally {
      opening = false;
    }
  };
  const timer = setInterval(() => void tick(), tickMsFor(ids.params.roundPeriodMs));
  stops.push(async () => clearInterval(timer));

  // A restarted member: resume (or re-derive) the chains for the replayed live round.
  void syncEpoch();
  // The log replay may have committed an aggregate we owe a partial for.
  const pending = state.machine.liveAggregate();
  if (pending) setImmediate(() => void contributePartial(pending.round));

  const collectionServers: CollectionServer[] = [];
  for (const label of ZIPNET_COLLECTIONS) {
    collectionServers.push(await serveCollection({ host: committee.host, log: state.logs[label], verifyTicket: o.verifyTicket, ...(metrics ? { metrics } : {}) }));
  }
  for (const c of collectionServers) stops.push(() => c.stop());

  const registration: TicketGuard = await guardProtocol({
    host: committee.host,
    protocol: ids.registerProtocol,
    verify: o.verifyTicket,
    maxFrame: X25519_KEY_BYTES,
    onSession: async (s) => {
      const pk = await s.framed.read({ signal: AbortSignal.timeout(5000) });
      let verdict: { ok: true } | { ok: false; reason: string };
      if (pk.length !== X25519_KEY_BYTES) verdict = { ok: false, reason: "wrong_length" };
      else {
        try {
          const r = await propose({ type: "registerClient", client: { id: clientIdOf(pk), publicKey: pk } }, 10_000);
          verdict = r.status === "rejected" ? { ok: false, reason: r.reason } : { ok: true };
          metrics?.inc(M.clientRegistrations, { result: r.status === "rejected" ? r.reason : r.status });
        } catch (err) {
          verdict = { ok: false, reason: "not_committed" };
          logger.debug({ err: describeError(err) }, "zipnet: client registration not committed");
        }
      }
      await s.framed.write(encodeVerdict(verdict));
      await s.stream.close().catch(() => {});
    },
  });
  stops.push(() => registration.stop());

  metrics?.set(M.serverUp, 1, memberLabel);
  logger.info({ serverId, peerId: committee.peerId, groupId: ids.groupIdHex }, "zipnet: server started");

  return {
    peerId: committee.peerId,
    multiaddrs: committee.multiaddrs,
    serverId,
    committee,
    state,
    ids,
    epochKeys,
    onApplied: (l) => state.onApplied(l),
    async stop() {
      if (!running) return;
      running = false;
      metrics?.set(M.serverUp, 0, memberLabel);
      for (const s of stops.reverse()) await s().catch((err: unknown) => logger.warn({ err: describeError(err) }, "zipnet: stop step failed"));
      await epochSync;
      epochKeys.close();
    },
  };
}
