// The zipnet aggregator: folds client envelopes for the live round until the
// fold deadline and commits one SubmitAggregate. It holds the zipnet
// committee secret and is admitted by the servers, but does not vote: it
// follows LiveRound through the public collection and proposes through the
// committee's forwarding protocol (see README "Deviations").
import { EventEmitter, setMaxListeners } from "node:events";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  Admission,
  CommitteeError,
  createLatticeHost,
  forwardProposal,
  guardProtocol,
  silentLogger,
  subscribe,
  type LatticeHost,
  type NetLogger,
  type TicketClaims,
  type TicketGuard,
} from "@builder/net";
import type { LatticeConfig } from "@builder/lattice-config";
import { Aggregator, type FoldRejection } from "../core/aggregate.js";
import { EnvelopeRateLimiter } from "../core/rate-limit.js";
import { zipnetRatePolicies } from "./rate-policy.js";
import type { ApplyResult } from "../machine.js";
import { ZIPNET_METRICS as M, type ZipnetMetricsSink } from "../metrics.js";
import { decodeClientEnvelope, decodeLiveRound, encodeCommand, MAX_VECTOR_BYTES, type AggregateEnvelope, type ClientEnvelope, type LiveRound } from "../proto.js";
import { describeError } from "./describe.js";
import { ZipnetError } from "../errors.js";
import { zipnetIds, type ZipnetIds } from "./ids.js";
import { encodeVerdict, type Verdict } from "./wire.js";

export interface ZipnetAggregatorOptions {
  config: LatticeConfig;
  /** `ZIPNET_SECRET_FILE` content (peer identity). */
  secret: Uint8Array;
  /** `ZIPNET_COMMITTEE_SECRET_FILE` content: proves membership to the servers. */
  committeeSecret: Uint8Array;
  /** The servers' multiaddrs, each ending in /p2p/<peer id> (LATTICE_BOOTSTRAP). */
  servers: readonly string[];
  listen?: string[];
  /** Checks clients' lattice tickets on the envelope stream. */
  verifyTicket: (token: string) => Promise<TicketClaims>;
  /** A read ticket for following the LiveRound collection. */
  ticket: string | (() => Promise<string>);
  logger?: NetLogger;
  metrics?: ZipnetMetricsSink;
  nowMs?: () => number;
}

export type SubmissionRejection = FoldRejection | "malformed";

export interface AggregatorEvents {
  /** A LiveRound reached the aggregator. */
  round: [LiveRound];
  /** An envelope was folded or refused. */
  envelope: [{ round: number; verdict: Verdict }];
  /** The fold closed: the aggregate was committed (result), or the round had too few participants. */
  closed: [{ round: number; participants: number; result: ApplyResult | null; error?: string }];
}

export interface ZipnetAggregator {
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  readonly host: LatticeHost;
  readonly ids: ZipnetIds;
  readonly events: EventEmitter<AggregatorEvents>;
  /** Envelopes refused, by reason, since start. */
  rejections(): Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/** An envelope frame holds the vector plus at most this much framing. */
const ENVELOPE_OVERHEAD = 128;

export async function startZipnetAggregator(o: ZipnetAggregatorOptions): Promise<ZipnetAggregator> {
  const ids = zipnetIds(o.config);
  const logger = o.logger ?? silentLogger;
  const metrics = o.metrics;
  const now = o.nowMs ?? Date.now;
  const events = new EventEmitter<AggregatorEvents>();
  events.setMaxListeners(0);
  const rejected = new Map<string, number>();
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const servers: Multiaddr[] = o.servers.map((s) => multiaddr(s));
  const serverIds = servers.map((m) => m.getComponents().findLast((c) => c.name === "p2p")?.value ?? "");
  const bad = serverIds.findIndex((s) => s === "");
  if (bad >= 0) {
    throw new ZipnetError("ZIPNET_PARAMS_INVALID", `startZipnetAggregator: servers[${bad}] is ${JSON.stringify(o.servers[bad])}; expected a multiaddr ending in /p2p/<peer id> (LATTICE_BOOTSTRAP).`, { index: bad });
  }

  const host = await createLatticeHost({ secret: o.secret, ...(o.listen ? { listen: o.listen } : {}), bootstrap: [...o.servers], logger });
  for (const [i, m] of servers.entries()) await host.libp2p.peerStore.merge(peerIdFromString(serverIds[i]!), { multiaddrs: [m] });
  const admission = new Admission({ host, groupId: ids.groupId, committeeSecret: o.committeeSecret });
  await admission.start();

  // Counts every envelope, talk or cover: the talk limit is the client's (docs/adr/0005).
  const limiter = new EnvelopeRateLimiter(zipnetRatePolicies(o.config).envelope);

  let current: Aggregator | null = null;
  let roundWaiters: (() => void)[] = [];
  let leaderGuess = 0;

  const count = (v: Verdict, round: number): Verdict => {
    metrics?.inc(M.clientSubmissions, { result: v.ok ? "accepted" : v.reason });
    if (!v.ok) {
      rejected.set(v.reason, (rejected.get(v.reason) ?? 0) + 1);
      metrics?.inc(M.submissionsRejected, { reason: v.reason });
    }
    events.emit("envelope", { round, verdict: v });
    return v;
  };

  const offer = async (env: ClientEnvelope): Promise<Verdict> => {
    // A client may see the LiveRound before we do: wait for it up to the fold deadline.
    const deadline = now() + ids.params.foldDeadlineMs;
    while (current && env.round === current.live.round + 1 && now() < deadline && !stop.signal.aborted) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - now()));
        roundWaiters.push(() => (clearTimeout(t), r()));
      });
    }
    // A stale or future round is that, whether or not the live fold has closed.
    if (!current || env.round !== current.live.round) return { ok: false, reason: "wrong_round" };
    const r = current.offer(env);
    return r.ok ? r : { ok: false, reason: r.reason };
  };

  const admitted = async (i: number): Promise<void> => {
    if (!admission.isAdmitted(serverIds[i]!)) await admission.admit(servers[i]!);
  };

  // Propose through whichever server leads; a follower's refusal names the leader.
  const submitAggregate = async (aggregate: AggregateEnvelope, deadlineMs: number): Promise<ApplyResult> => {
    const data = encodeCommand({ type: "submitAggregate", aggregate });
    let last: unknown = null;
    while (now() < deadlineMs && !stop.signal.aborted) {
      const i = leaderGuess % servers.length;
      try {
        await admitted(i);
        const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(Math.max(1, deadlineMs - now()))]);
        const r = await forwardProposal(host.libp2p, ids.groupId, serverIds[i]!, data, null, signal);
        return r.result as ApplyResult;
      } catch (err) {
        last = err;
        const hint = err instanceof CommitteeError ? err.fields.leaderHint : undefined;
        const at = typeof hint === "string" ? serverIds.indexOf(hint) : -1;
        leaderGuess = at >= 0 && at !== i ? at : leaderGuess + 1;
        if (at < 0) await new Promise((r) => setTimeout(r, 25));
      }
    }
    throw last ?? new Error("aggregate not committed before the round deadline");
  };

  const closeRound = async (agg: Aggregator, openedAtMs: number): Promise<void> => {
    const round = agg.live.round;
    const closed = agg.close();
    if (!closed.ok) {
      logger.info({ round, participants: closed.participants, min: closed.minParticipants }, "zipnet: round closed with too few participants");
      events.emit("closed", { round, participants: closed.participants, result: null });
      return;
    }
    try {
      const result = await submitAggregate(closed.aggregate, openedAtMs + agg.live.params.roundDeadlineMs);
      if (result.status === "rejected") logger.warn({ round, reason: result.reason, detail: result.detail }, "zipnet: aggregate rejected");
      events.emit("closed", { round, participants: closed.aggregate.participants.length, result });
    } catch (err) {
      logger.warn({ round, err: describeError(err) }, "zipnet: aggregate not committed");
      events.emit("closed", { round, participants: closed.aggregate.participants.length, result: null, error: describeError(err) });
    }
  };

  // Follow LiveRound from the current slot on (older rounds are over).
  const slotNow = Math.max(0, Math.floor((now() - o.config.slot.genesisUnixMs) / o.config.slot.durationMs) - 1);
  const follow = (async () => {
    while (!stop.signal.aborted) {
      try {
        for await (const e of subscribe(host.libp2p, ids.collections.liveRound, {
          fromSlot: slotNow,
          providers: servers,
          ticket: o.ticket,
          signal: stop.signal,
          backoff: { initialMs: 50, maxMs: 1000 },
        })) {
          const live = decodeLiveRound(e.data);
          if (current && live.round <= current.live.round) continue;
          const agg = new Aggregator(live, limiter);
          current = agg;
          limiter.prune(live.round);
          const openedAt = now();
          const waiters = roundWaiters;
          roundWaiters = [];
          for (const w of waiters) w();
          events.emit("round", live);
          setTimeout(() => void closeRound(agg, openedAt), live.params.foldDeadlineMs);
        }
      } catch (err) {
        if (stop.signal.aborted) return;
        logger.warn({ err: describeError(err) }, "zipnet: LiveRound subscription failed; resubscribing");
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();

  const guard: TicketGuard = await guardProtocol({
    host,
    protocol: ids.envelopeProtocol,
    verify: o.verifyTicket,
    maxFrame: MAX_VECTOR_BYTES + ENVELOPE_OVERHEAD,
    onSession: async (s) => {
      for (;;) {
        let frame: Uint8Array;
        try {
          frame = await s.framed.read({ signal: stop.signal });
        } catch {
          return;
        }
        let env: ClientEnvelope | null = null;
        try {
          env = decodeClientEnvelope(frame);
        } catch (err) {
          logger.debug({ err: describeError(err) }, "zipnet: malformed envelope");
        }
        const v = env ? count(await offer(env), env.round) : count({ ok: false, reason: "malformed" }, -1);
        await s.framed.write(encodeVerdict(v));
      }
    },
  });

  // Admit early so the first aggregate does not pay the handshake.
  for (let i = 0; i < servers.length; i++) void admitted(i).catch(() => {});
  metrics?.set(M.aggregatorUp, 1);
  logger.info({ peerId: host.libp2p.peerId.toString(), servers: serverIds }, "zipnet: aggregator started");

  return {
    peerId: host.libp2p.peerId.toString(),
    multiaddrs: host.libp2p.getMultiaddrs().map(String),
    host,
    ids,
    events,
    rejections: () => Object.fromEntries([...rejected.entries()].sort()),
    async stop() {
      if (stop.signal.aborted) return;
      stop.abort();
      metrics?.set(M.aggregatorUp, 0);
      await guard.stop().catch(() => {});
      await follow.catch(() => {});
      await admission.stop().catch(() => {});
      await host.stop();
    },
  };
}
