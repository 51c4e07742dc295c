// A committee member: libp2p host + admission + discovery + Raft driver on
// durable storage + the libp2p Raft transport, behind one facade.
//
// propose() works on any member: the leader proposes locally; a follower
// forwards to the leader it knows, and when that fails in a way that left
// nothing applied (no leader yet, leadership moved, entry overwritten) it
// retries at the new leader until the deadline. Failures whose outcome is
// unknown are retried only when the caller passed a requestId (the driver's
// dedupe table then applies it at most once); otherwise they are reported.
import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import {
  openDurableStorage,
  startRaftNode,
  type ApplyContext,
  type DurableRecovery,
  type NodeId,
  type RaftMetrics,
  type RaftNode,
  type RaftStatus,
  type RequestId,
  type StateMachine,
  type WhenCondition,
} from "@builder/raft";
import { Admission, type AdmissionRefusalReason } from "../admission.js";
import { devAttestationProvider, noAttestation } from "../attestation.js";
import { describeError } from "../errors.js";
import { createLatticeHost, type LatticeHost } from "../host.js";
import { silentLogger, type NetLogger } from "../logger.js";
import { Discovery } from "../discovery/service.js";
import { Libp2pRaftTransport } from "../raft-transport/transport.js";
import { AppliedFeed, type AppliedEntry } from "./applied-feed.js";
import { CommitteeError } from "./errors.js";
import { forwardProposal, outcomeOf, serveForwarding } from "./forward.js";
import { committeeMetrics } from "./metrics.js";
import { RAFT_DEFAULTS, validateCommitteeOptions, type CommitteeOptions } from "./options.js";

export interface CommitteeProposeOptions {
  /** Makes retries (here and by the caller) apply at most once. */
  requestId?: RequestId;
  /** Overall deadline including retries at new leaders. Default 10 s. */
  timeoutMs?: number;
}

export interface CommitteeProposeResult<R> {
  readonly term: number;
  readonly index: number;
  readonly result: R;
  /** Whether this member forwarded the proposal to the leader. */
  readonly forwarded: boolean;
}

export interface CommitteeStatus {
  readonly peerId: string;
  readonly role: RaftStatus["role"];
  readonly leader: NodeId | null;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly voters: readonly NodeId[];
  readonly admitted: readonly string[];
  readonly connected: readonly string[];
}

export interface Committee<R> {
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  readonly host: LatticeHost;
  readonly admission: Admission;
  /** The discovery service (null when disabled): providers(id), peers(), setProvides(). */
  readonly discovery: Discovery | null;
  propose(data: Uint8Array, opts?: CommitteeProposeOptions): Promise<CommitteeProposeResult<R>>;
  /** Linearizable read barrier on this member (ReadIndex): then read your state machine. */
  read(opts?: { timeoutMs?: number }): Promise<{ index: number }>;
  when(cond: WhenCondition, opts?: { timeoutMs?: number }): Promise<RaftStatus>;
  status(): CommitteeStatus;
  /** Entries applied by this member's state machine from now on, with their results. */
  committed(opts?: { maxBuffered?: number; signal?: AbortSignal }): AsyncGenerator<AppliedEntry<R>, void, undefined>;
  /** Synchronous variant of committed(): the listener runs inside apply. */
  onCommitted(listener: (e: AppliedEntry<R>) => void): () => void;
  stop(): Promise<void>;
}

export async function startCommittee<R>(o: CommitteeOptions<R>): Promise<Committee<R>> {
  validateCommitteeOptions(o);
  const logger = o.logger ?? silentLogger;
  const metrics = o.metrics;
  const names = committeeMetrics(o.organism);
  let nodeRef: RaftNode<R> | null = null;
  // Membership only changes through applied conf entries, which a leader change or a new term follows closely enough for a gauge.
  const sizeGauge = (): void => {
    if (nodeRef) metrics?.set(names.size, nodeRef.status().conf.voters.length);
  };
  const raftMetrics = bridgeRaftMetrics(names, metrics, { ...o.raft?.metrics, term: (v) => (sizeGauge(), o.raft?.metrics?.term?.(v)) });
  // Storage first, before joining the network: a second process started for this
  // member is refused by the data dir's lock (RAFT_WAL_LOCKED) before it could
  // take connections meant for the running one. It reports fsync latency through
  // the same sinks as the driver.
  const storage = openDurableStorage(o.dataDir, { metrics: raftMetrics });
  logRecovery(logger, o.dataDir, storage.recovery);
  const host = await createLatticeHost({
    ...(o.secretKeyFile !== undefined ? { secretKeyFile: o.secretKeyFile } : {}),
    ...(o.secret !== undefined ? { secret: o.secret } : {}),
    ...(o.privateKey !== undefined ? { privateKey: o.privateKey } : {}),
    ...(o.listen ? { listen: o.listen } : {}),
    bootstrap: [...(o.bootstrap ?? [])],
    logger,
    ...(metrics ? { metrics: metrics as never } : {}),
  }).catch((err: unknown) => {
    storage.close();
    throw err;
  });
  const self = host.libp2p.peerId.toString();
  // Run in reverse: the node stops (and closes storage) first, the data dir is released last.
  const cleanup: (() => Promise<unknown>)[] = [async () => storage.close(), () => host.stop()];
  const fail = async (err: unknown): Promise<never> => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    throw err;
  };
  if (!o.members.includes(self)) {
    return fail(
      new CommitteeError(
        "COMMITTEE_CONFIG",
        `startCommittee: this member's peer id ${self} (from its secret) is not in members [${o.members.join(", ")}]; add it, or check that the right secret file is used.`,
        { fields: { peerId: self } },
      ),
    );
  }

  try {
    // Bootstrap addresses go straight into the peer store so the transport can dial members by id.
    for (const ma of host.bootstrap) {
      const id = peerIdOf(ma.toString());
      if (id !== null && id !== self) await host.libp2p.peerStore.merge(peerIdFromString(id), { multiaddrs: [multiaddr(ma.toString())] });
    }
    const attestation = o.attestation ?? {
      provider: o.insecureDev ? devAttestationProvider(host.privateKey) : noAttestation,
      policy: { requireTdx: o.requireTdx ?? false, mrtdAcl: [], insecureDev: o.insecureDev ?? false },
    };
    const admission = new Admission({ host, groupId: o.groupId, committeeSecret: o.committeeSecret, attestation });
    await admission.start();
    cleanup.push(() => admission.stop());
    const memberSet = new Set(o.members);
    const admittedGauge = (): void => metrics?.set(names.admitted, admission.admitted().filter((p) => memberSet.has(p.peerId)).length);
    admission.on("admitted", admittedGauge);
    admission.on("refused", (r: { peerId: string; reason: AdmissionRefusalReason; detail: string }) => {
      metrics?.inc(names.refusals, { reason: r.reason });
      admittedGauge();
    });
    host.libp2p.addEventListener("peer:disconnect", admittedGauge);

    let discovery: Discovery | null = null;
    if (o.discovery !== false) {
      discovery = new Discovery({
        host,
        provides: [o.groupId, ...(o.discovery?.announce ?? [])],
        ...(o.discovery?.exchangeIntervalMs !== undefined ? { exchangeIntervalMs: o.discovery.exchangeIntervalMs } : {}),
      });
      await discovery.start();
      const d = discovery;
      cleanup.push(() => d.stop());
      const bootIds = new Set(host.bootstrap.map((m) => peerIdOf(m.toString())));
      const peersGauge = (): void => {
        const viaDiscovery = d.providers(o.groupId).filter((p) => p !== self && !bootIds.has(p)).length;
        metrics?.set(names.upstreamPeers, viaDiscovery, { source: "discovery" });
      };
      d.on("change", peersGauge);
    }
    metrics?.set(names.upstreamPeers, host.bootstrap.filter((m) => peerIdOf(m.toString()) !== self).length, { source: "bootstrap" });

    const transport = new Libp2pRaftTransport({
      libp2p: host.libp2p,
      groupId: o.groupId,
      admission,
      ...(o.transport ?? {}),
      ...(metrics ? { metrics } : {}),
      logger,
    });
    await transport.start();
    cleanup.push(() => transport.stop());

    const feed = new AppliedFeed<R>();
    const sm = o.stateMachine;
    const wrapped: StateMachine<R> = {
      apply(command: Uint8Array, ctx: ApplyContext): R {
        const result = sm.apply(command, ctx);
        feed.emit(command, ctx, result);
        return result;
      },
      snapshot: () => sm.snapshot(),
      restore: (d) => sm.restore(d),
    };
    const node: RaftNode<R> = startRaftNode<R>({
      id: self,
      peers: o.members,
      storage,
      stateMachine: wrapped,
      transport,
      tickMs: o.raft?.tickMs ?? RAFT_DEFAULTS.tickMs,
      electionTick: o.raft?.electionTick ?? RAFT_DEFAULTS.electionTick,
      heartbeatTick: o.raft?.heartbeatTick ?? RAFT_DEFAULTS.heartbeatTick,
      snapshotEvery: o.raft?.snapshotEvery ?? RAFT_DEFAULTS.snapshotEvery,
      random: (n) => randomInt(n),
      metrics: raftMetrics,
      logger,
    });
    nodeRef = node;
    let running = true;
    cleanup.push(async () => {
      running = false;
      await node.stop();
    });
    // The driver does not expose reportUnreachable yet (the core has it): use it when it appears.
    const report = (node as unknown as { reportUnreachable?: (id: NodeId) => void }).reportUnreachable;
    if (typeof report === "function") transport.onUnreachable((peer) => report.call(node, peer));
    metrics?.set(names.size, node.status().conf.voters.length);

    const maxProposalBytes = o.maxProposalBytes ?? 1024 * 1024;
    const stopForwarding = await serveForwarding({
      libp2p: host.libp2p,
      groupId: o.groupId,
      admission,
      node: () => (running ? (node as RaftNode<unknown>) : null),
      maxProposalBytes,
      logger,
      ...(o.acceptForwarded ? { accept: o.acceptForwarded } : {}),
    });
    cleanup.push(stopForwarding);

    const propose = async (data: Uint8Array, opts: CommitteeProposeOptions = {}): Promise<CommitteeProposeResult<R>> => {
      if (data.length > maxProposalBytes) {
        throw new CommitteeError("COMMITTEE_CONFIG", `propose: command is ${data.length} bytes; at most ${maxProposalBytes} (maxProposalBytes).`, {
          fields: { length: data.length, max: maxProposalBytes },
        });
      }
      const timeoutMs = opts.timeoutMs ?? 10_000;
      const deadline = Date.now() + timeoutMs;
      // Created on first forward only: AbortSignal.timeout costs a timer per call on the leader's hot path.
      let signal: AbortSignal | null = null;
      let backoff = 10;
      let last: unknown = null;
      while (running) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        const leader = node.leader();
        if (leader === null) {
          try {
            await node.when({ leader: true }, { timeoutMs: remaining });
          } catch (err) {
            last = err;
          }
          continue;
        }
        try {
          if (leader === self) {
            const r = await node.propose(data, opts.requestId ? { requestId: opts.requestId } : {});
            return { ...r, forwarded: false };
          }
          signal ??= AbortSignal.timeout(Math.max(1, remaining));
          const r = await forwardProposal(host.libp2p, o.groupId, leader, data, opts.requestId ?? null, signal);
          metrics?.inc(names.forwarded, { result: "ok" });
          return { term: r.term, index: r.index, result: r.result as R, forwarded: true };
        } catch (err) {
          last = err;
          const outcome = err instanceof CommitteeError ? (err.fields.outcome as string) : outcomeOf(err);
          const retry = outcome === "not_applied" || (outcome === "unknown" && opts.requestId !== undefined);
          if (leader !== self) metrics?.inc(names.forwarded, { result: retry ? "retry" : "error" });
          if (!retry) throw err;
          logger.debug({ leader, err: describeError(err) }, "committee: proposal retried");
          // Leadership is moving: give the election a moment, growing while it lasts.
          await sleep(Math.min(backoff, Math.max(0, deadline - Date.now()))).catch(() => {});
          backoff = Math.min(backoff * 2, 500);
        }
      }
      throw new CommitteeError(
        running ? "COMMITTEE_NO_LEADER" : "COMMITTEE_STOPPED",
        running
          ? `propose: no leader accepted the proposal within ${timeoutMs} ms (last error: ${last === null ? "none" : describeError(last)}). Check that a majority of members [${o.members.length}] is up and admitted.`
          : "propose: the committee member stopped.",
        { fields: { timeoutMs }, temporary: true, cause: last },
      );
    };

    return {
      peerId: self,
      multiaddrs: host.libp2p.getMultiaddrs().map(String),
      host,
      admission,
      discovery,
      propose,
      read: (opts) => node.read(opts),
      when: (cond, opts) => node.when(cond, opts),
      status: () => {
        const s = node.status();
        return {
          peerId: self,
          role: s.role,
          leader: s.leader,
          term: s.term,
          commit: s.commit,
          applied: s.applied,
          voters: s.conf.voters,
          admitted: admission.admitted().map((p) => p.peerId),
          connected: transport.connectedPeers(),
        };
      },
      committed: (opts) => feed.iterate(opts),
      onCommitted: (l) => feed.on(l),
      async stop() {
        if (!running && cleanup.length === 0) return;
        host.libp2p.removeEventListener("peer:disconnect", admittedGauge);
        const steps = cleanup.splice(0).reverse();
        for (const c of steps) await c().catch((err: unknown) => logger.warn({ err: describeError(err) }, "committee: stop step failed"));
      },
    };
  } catch (err) {
    return fail(err);
  }
}

/** What opening the data dir found that an operator should know: a torn WAL tail, a dead process's lock, damaged snapshots. */
function logRecovery(logger: NetLogger, dataDir: string, r: DurableRecovery): void {
  logger.info({ dataDir, snapshotIndex: r.snapshotIndex, walEntries: r.entries, walZeroTailBytes: r.zeroTailBytes }, "committee: raft storage opened");
  if (r.tornTail) logger.warn({ dataDir, ...r.tornTail }, "committee: WAL ended in a torn write (a crash mid-append); truncated to the last whole record");
  if (r.staleLock) logger.warn({ dataDir, pid: r.staleLock.pid }, "committee: replaced the data dir LOCK of a process that no longer runs");
  for (const s of r.skippedSnapshots) logger.warn({ dataDir, ...s }, "committee: skipped a snapshot file that failed verification");
}

function bridgeRaftMetrics(names: ReturnType<typeof committeeMetrics>, m: CommitteeOptions<unknown>["metrics"], extra?: RaftMetrics): RaftMetrics {
  return {
    term: (v) => (m?.set(names.term, v), extra?.term?.(v)),
    isLeader: (v) => (m?.set(names.isLeader, v ? 1 : 0), extra?.isLeader?.(v)),
    commitIndex: (v) => (m?.set(names.commitIndex, v), extra?.commitIndex?.(v)),
    appliedIndex: (v) => (m?.set(names.appliedIndex, v), extra?.appliedIndex?.(v)),
    proposalCommitted: () => (m?.inc(names.proposalsCommitted), extra?.proposalCommitted?.()),
    proposalFailed: (r) => (m?.inc(names.proposalsFailed, { reason: r }), extra?.proposalFailed?.(r)),
    ...(extra?.commitLatencySeconds ? { commitLatencySeconds: extra.commitLatencySeconds } : {}),
    ...(extra?.fsyncLatencySeconds ? { fsyncLatencySeconds: extra.fsyncLatencySeconds } : {}),
    ...(extra?.snapshotTaken ? { snapshotTaken: extra.snapshotTaken } : {}),
    ...(extra?.snapshotInstalled ? { snapshotInstalled: extra.snapshotInstalled } : {}),
  };
}

/** The /p2p/<id> suffix of a bootstrap multiaddr (createLatticeHost already checked it is there). */
function peerIdOf(ma: string): string | null {
  const i = ma.lastIndexOf("/p2p/");
  return i < 0 ? null : ma.slice(i + 5).split("/")[0] ?? null;
}
