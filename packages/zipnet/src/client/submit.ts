// submit(config, opts) → Submitter: register an X25519 key, then take part in
// every round (cover traffic when idle), sending each queued datum through
// the footprint schedule and reporting Landed | Collided | Dropped receipts.
import { EventEmitter, setMaxListeners } from "node:events";
import { randomBytes, randomInt } from "node:crypto";
import { openTicketedStream, subscribe, type Framed, type LatticeHost } from "@builder/net";
import type { LatticeConfig } from "@builder/lattice-config";
import type { Multiaddr } from "@multiformats/multiaddr";
import { generateX25519, PadRatchet, sharedSecret, x25519FromSecret, type X25519KeyPair } from "../core/keys.js";
import { epochOfRound, firstRoundOfEpoch } from "../core/epochs.js";
import { sealEnvelope } from "../core/client-seal.js";
import { ClientScheduler, type Receipt, type RoundPlan, type Rng, type SchedulerOptions } from "../core/scheduling.js";
import { describeError } from "../node/describe.js";
import { zipnetIds } from "../node/ids.js";
import { zipnetRatePolicies } from "../node/rate-policy.js";
import { decodeVerdict, type Verdict } from "../node/wire.js";
import {
  clientIdOf,
  decodeBroadcastRecord,
  decodeLiveRound,
  encodeClientEnvelope,
  encodeTx2718,
  MAX_TX_BYTES,
  type BroadcastRecord,
  type ClientId,
  type LiveRound,
  type ServerId,
} from "../proto.js";
import { ZipnetClientError } from "./errors.js";
import { clientHost, parseTargets } from "./host.js";
import { SendGate } from "./send-gate.js";

export interface SubmitParameters {
  /** Server multiaddrs (each ending in /p2p/<peer id>): registration and collections. */
  providers: readonly string[];
  /** The aggregator's multiaddr. */
  aggregator: string;
  /** Lattice ticket, presented to servers and the aggregator. */
  ticket: string | (() => Promise<string>);
  /** 32-byte X25519 secret; a fresh key when omitted (a new client id). */
  secret?: Uint8Array;
  host?: LatticeHost;
  rng?: Rng;
  /** Defaults to the config's talk budget (`zipnetRatePolicies(config).talk`); see docs/adr/0005. */
  scheduler?: SchedulerOptions;
  /** Clock for the per-slot send limit. Default Date.now. */
  nowMs?: () => number;
  /** How long to keep retrying registration. Default 30 s. */
  registerTimeoutMs?: number;
  signal?: AbortSignal;
}

export type SubmissionId = number;
export type SubmissionReceipt = Receipt;

export interface SubmitterEvents {
  receipt: [SubmissionReceipt];
  /** The aggregator's verdict on this client's envelope for a round. */
  envelope: [{ round: number; verdict: Verdict }];
  error: [Error];
}

export interface Submitter {
  readonly clientId: ClientId;
  readonly events: EventEmitter<SubmitterEvents>;
  /**
   * Queue a transaction (≤ 1022 bytes); it lands in a later round, after retries if it collides.
   * Throws ZIPNET_CLIENT_RATE_LIMITED (temporary) once this slot's talk budget,
   * `zipnet.maxEnvelopesPerClientPerSlot` datums, is spent.
   */
  send(tx: Uint8Array): SubmissionId;
  /** Receipts as they are decided, until close(). */
  receipts(): AsyncIterable<SubmissionReceipt>;
  /** Datums queued or in flight. */
  pending(): number;
  close(): Promise<void>;
}

export type SubmitReturnType = Promise<Submitter>;

const cryptoRng: Rng = { int: (n) => randomInt(n), bytes: (n) => new Uint8Array(randomBytes(n)) };

export async function submit(config: LatticeConfig, p: SubmitParameters): SubmitReturnType {
  const ids = zipnetIds(config);
  const providers = parseTargets("submit.providers", p.providers);
  const [aggregator] = parseTargets("submit.aggregator", [p.aggregator]) as [Multiaddr];
  const key: X25519KeyPair = p.secret ? x25519FromSecret(p.secret) : generateX25519();
  const clientId = clientIdOf(key.publicKey);
  const rng = p.rng ?? cryptoRng;
  const rates = zipnetRatePolicies(config);
  const scheduler = new ClientScheduler({ talkBudget: rates.talk, ...p.scheduler });
  const gate = new SendGate({ datumsPerSlot: rates.datumsPerSlot, genesisUnixMs: config.slot.genesisUnixMs, slotDurationMs: config.slot.durationMs, nowMs: p.nowMs ?? Date.now });
  const events = new EventEmitter<SubmitterEvents>();
  events.setMaxListeners(0);
  const stop = new AbortController();
  const signal = p.signal ? AbortSignal.any([p.signal, stop.signal]) : stop.signal;
  // Sessions per provider and per subscription each listen on it.
  setMaxListeners(0, stop.signal, signal);
  const ticket = async (): Promise<string> => (typeof p.ticket === "function" ? p.ticket() : p.ticket);
  const { host, owned } = await clientHost(p.host);

  await register(host, providers, ids.registerProtocol, key.publicKey, ticket, p.registerTimeoutMs ?? 30_000, signal);

  /** This epoch's chain per server; replaced (and the old ones zeroed) when an epoch opens. */
  let ratchets = new Map<ServerId, PadRatchet>();
  let ratchetsEpoch: number | null = null;
  /** The first round we took part in: the scheduler has no record to observe before it. */
  let anchor: number | null = null;
  const records = new Map<number, BroadcastRecord>();
  let recordWaiter: (() => void) | null = null;
  let stream: Framed | null = null;
  /** What we sent in the last round we took part in. */
  let lastPlan: RoundPlan | null = null;
  /** A round whose record had not arrived when we had to decide; resolved at the next LiveRound. */
  let deferred: number | null = null;

  const emitReceipts = (): void => {
    for (const r of scheduler.takeReceipts()) events.emit("receipt", r);
  };
  // A LiveRound lists each server's key for the round's epoch (docs/adr/0006): the
  // chain root is the agreement with that key, the chain starts at the epoch's first round.
  const ratchetFor = (live: LiveRound, server: { id: string; publicKey: Uint8Array }): PadRatchet => {
    const period = live.params.roundPeriodMs;
    const epoch = epochOfRound(live.round, period);
    if (ratchetsEpoch !== epoch) {
      for (const r of ratchets.values()) r.destroy();
      ratchets = new Map();
      ratchetsEpoch = epoch;
    }
    let r = ratchets.get(server.id);
    if (!r) {
      const shared = sharedSecret(key.privateKey, server.publicKey);
      r = PadRatchet.forEpoch(shared, { groupId: ids.groupId, clientId, serverId: server.id, epoch, startRound: firstRoundOfEpoch(epoch, period) });
      shared.fill(0);
      ratchets.set(server.id, r);
    }
    return r;
  };
  // The record of round r-1 is appended before LiveRound r on every server; over two
  // subscriptions it may arrive a little later, so wait for it up to half the fold window.
  const recordOf = async (round: number, params: LiveRound["params"]): Promise<BroadcastRecord | null> => {
    const deadline = Date.now() + params.foldDeadlineMs / 2;
    while (!records.has(round) && Date.now() < deadline && !signal.aborted) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        recordWaiter = () => (clearTimeout(t), r());
      });
    }
    return records.get(round) ?? null;
  };
  const sendEnvelope = async (bytes: Uint8Array): Promise<Verdict> => {
    for (let attempt = 0; ; attempt++) {
      try {
        stream ??= await openTicketedStream(host.libp2p, aggregator, ids.envelopeProtocol, await ticket(), { signal, maxFrame: 256 });
        await stream.write(bytes, { signal });
        return decodeVerdict(await stream.read({ signal }));
      } catch (err) {
        stream?.stream.abort(err instanceof Error ? err : new Error(String(err)));
        stream = null;
        if (attempt >= 1 || signal.aborted) throw err;
      }
    }
  };

  const slotNow = Math.max(0, Math.floor((Date.now() - config.slot.genesisUnixMs) / config.slot.durationMs) - 1);
  const follow = async (): Promise<void> => {
    for await (const e of subscribe(host.libp2p, ids.collections.liveRound, { fromSlot: slotNow, providers, ticket, signal, backoff: { initialMs: 50, maxMs: 1000 } })) {
      const live = decodeLiveRound(e.data);
      if (!live.clients.includes(clientId)) continue;
      anchor ??= live.round;
      if (deferred !== null) {
        // Two LiveRounds after it: a finalized round's record would have arrived by now.
        const rec = records.get(deferred);
        if (rec) scheduler.observe(rec, live.params, rng);
        else scheduler.roundFailed(deferred);
        deferred = null;
      }
      if (live.round > anchor) {
        const prevRound = live.round - 1;
        const prev = await recordOf(prevRound, live.params);
        if (prev) scheduler.observe(prev, live.params, rng);
        else if (lastPlan?.round === prevRound && lastPlan.message !== null) {
          // Our message may have landed in a record still on its way: declaring the round
          // failed now could send it twice. Sit this round out and decide at the next one.
          deferred = prevRound;
          lastPlan = null;
          continue;
        } else scheduler.roundFailed(prevRound);
        for (const r of [...records.keys()]) if (r < prevRound) records.delete(r);
      }
      emitReceipts();
      const plan = scheduler.plan(live.round, live.params, rng);
      lastPlan = plan;
      const padKeys = live.servers.map((s) =>
        ratchetFor(live, s).padKey({ groupId: ids.groupId, round: live.round, slot: live.slot, params: live.params, clientId, serverId: s.id }),
      );
      const env = sealEnvelope({ clientId, params: live.params, plan, padKeys });
      try {
        events.emit("envelope", { round: live.round, verdict: await sendEnvelope(encodeClientEnvelope(env)) });
      } catch (err) {
        if (signal.aborted) return;
        events.emit("envelope", { round: live.round, verdict: { ok: false, reason: `unsent: ${describeError(err)}` } });
      }
    }
  };
  const followRecords = async (): Promise<void> => {
    for await (const e of subscribe(host.libp2p, ids.collections.broadcasts, { fromSlot: slotNow, providers, ticket, signal, backoff: { initialMs: 50, maxMs: 1000 } })) {
      const rec = decodeBroadcastRecord(e.data);
      records.set(rec.round, rec);
      const w = recordWaiter;
      recordWaiter = null;
      w?.();
    }
  };
  const fail = (err: unknown): void => {
    if (!signal.aborted) events.emit("error", err instanceof Error ? err : new Error(String(err)));
  };
  const loops = [follow().catch(fail), followRecords().catch(fail)];

  return {
    clientId,
    events,
    send(tx) {
      if (stop.signal.aborted) throw new ZipnetClientError("ZIPNET_CLIENT_CLOSED", "send: this Submitter was closed.");
      if (tx.length > MAX_TX_BYTES) {
        throw new ZipnetClientError("ZIPNET_CLIENT_CONFIG", `send: transaction is ${tx.length} bytes; at most ${MAX_TX_BYTES} fit one datum.`, { length: tx.length, max: MAX_TX_BYTES });
      }
      gate.admit();
      return scheduler.enqueue(encodeTx2718(tx));
    },
    receipts() {
      return receiptStream(events, stop.signal);
    },
    pending: () => scheduler.pending,
    async close() {
      if (stop.signal.aborted) return;
      stop.abort();
      recordWaiter?.();
      stream?.stream.abort(new Error("submitter closed"));
      await Promise.allSettled(loops);
      for (const r of ratchets.values()) r.destroy();
      if (owned) await host.stop();
    },
  };
}

async function* receiptStream(events: EventEmitter<SubmitterEvents>, signal: AbortSignal): AsyncGenerator<SubmissionReceipt, void, undefined> {
  const queue: SubmissionReceipt[] = [];
  let wake: (() => void) | null = null;
  const onReceipt = (r: SubmissionReceipt): void => {
    queue.push(r);
    wake?.();
  };
  const onAbort = (): void => wake?.();
  events.on("receipt", onReceipt);
  signal.addEventListener("abort", onAbort);
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (signal.aborted) return;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  } finally {
    events.off("receipt", onReceipt);
    signal.removeEventListener("abort", onAbort);
  }
}

async function register(
  host: LatticeHost,
  providers: readonly Multiaddr[],
  protocol: string,
  publicKey: Uint8Array,
  ticket: () => Promise<string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt";
  for (let i = 0; Date.now() < deadline && !signal.aborted; i++) {
    const target = providers[i % providers.length]!;
    try {
      const f = await openTicketedStream(host.libp2p, target, protocol, await ticket(), { signal: AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, deadline - Date.now()))]), maxFrame: 128 });
      await f.write(publicKey);
      const v = decodeVerdict(await f.read({ signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) }));
      await f.stream.close().catch(() => {});
      if (v.ok) return;
      last = v.reason;
      if (v.reason !== "not_committed") break;
    } catch (err) {
      last = describeError(err);
    }
    await new Promise((r) => setTimeout(r, Math.min(500, 50 * 2 ** Math.min(i, 4))));
  }
  throw new ZipnetClientError("ZIPNET_CLIENT_REGISTRATION", `submit: could not register the client key with any of ${providers.length} servers (last: ${last}).`, { last }, true);
}
