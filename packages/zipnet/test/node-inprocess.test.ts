// Three servers, one aggregator and twenty clients in one process over real
// libp2p on 127.0.0.1: every datum lands exactly once, every reader sees the
// same order, and bad input over the network is refused with a reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { multiaddr } from "@multiformats/multiaddr";
import { createLatticeHost, openTicketedStream } from "@builder/net";
import {
  decodeVerdict,
  encodeClientEnvelope,
  encodeCommand,
  read,
  submit,
  vectorBytes,
  ZIPNET_METRICS,
  ZipnetClientError,
  type LiveRound,
  type ReadDatum,
  type Submitter,
  type SubmissionReceipt,
} from "../src/index.js";
import { startCluster } from "./fixtures/cluster.js";
import { testLattice, waitFor } from "./fixtures/lattice.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const txOf = (client: number, k: number): Uint8Array => new TextEncoder().encode(`0x02 client ${client} tx ${k}`);

test("20 clients over libp2p: every datum lands once, in the same order for two readers; send() refuses past the talk limit; bad input refused and counted", { timeout: 120_000 }, async () => {
  const lattice = testLattice(undefined, "inproc");
  const cluster = await startCluster(lattice);
  const clientHosts = await Promise.all([0, 1, 2, 3].map(() => createLatticeHost({ secret: crypto.getRandomValues(new Uint8Array(32)) })));
  const clients: Submitter[] = [];
  const readers = new AbortController();
  // One frozen clock: every send below falls in one slot, so the talk limit is exact.
  const frozen = Date.now();
  try {
    for (let i = 0; i < 20; i++) {
      clients.push(
        await submit(lattice.config, {
          providers: cluster.providers,
          aggregator: cluster.aggregator.multiaddrs[0]!,
          ticket: lattice.ticket,
          host: clientHosts[i % clientHosts.length]!,
          nowMs: () => frozen,
        }),
      );
    }
    const receipts: SubmissionReceipt[] = [];
    for (const c of clients) c.events.on("receipt", (r) => receipts.push(r));
    // Client 0 follows its receipts through the async iterator; the others through events.
    const firstReceipts = (async () => {
      const out: SubmissionReceipt[] = [];
      for await (const r of clients[0]!.receipts()) {
        out.push(r);
        if (out.filter((x) => x.outcome === "landed").length === 2) break;
      }
      return out;
    })();
    const sent = new Set<string>();
    const firstIds: number[] = [];
    clients.forEach((c, i) => {
      for (const k of [0, 1]) {
        const id = c.send(txOf(i, k));
        if (i === 0) firstIds.push(id);
        sent.add(hex(txOf(i, k)));
      }
    });
    assert.equal(clients[0]!.pending(), 2);
    // The talk limit is the client's (docs/adr/0005): client 19 may send maxEnvelopesPerClientPerSlot datums in a slot, no more.
    const limit = lattice.config.zipnet.maxEnvelopesPerClientPerSlot;
    for (let k = 2; k < limit; k++) {
      clients[19]!.send(txOf(19, k));
      sent.add(hex(txOf(19, k)));
    }
    assert.throws(() => clients[19]!.send(txOf(19, limit)), (e: unknown) => {
      assert.ok(e instanceof ZipnetClientError);
      assert.equal(e.code, "ZIPNET_CLIENT_RATE_LIMITED");
      assert.equal(e.fields.limit, limit);
      assert.equal(e.fields.window, "slot");
      assert.equal(e.temporary, true);
      return true;
    });
    assert.equal(clients[19]!.pending(), limit, "the refused datum was not queued");

    const seen: ReadDatum[][] = [[], []];
    const readersDone = seen.map(async (list, r) => {
      for await (const d of read(lattice.config, { providers: r === 0 ? cluster.providers : [...cluster.providers].reverse(), ticket: lattice.ticket, host: clientHosts[r]!, signal: readers.signal })) {
        list.push(d);
      }
    });

    // Bad input over the network, while rounds run: each refused with its reason, the rounds unaffected.
    // Each probe goes out right after a round reaches the aggregator, well inside its fold window.
    const nextLive = (): Promise<LiveRound> => new Promise<LiveRound>((r) => cluster.aggregator.events.once("round", r));
    const raw = await openTicketedStream(clientHosts[0]!.libp2p, multiaddr(cluster.aggregator.multiaddrs[0]!), cluster.aggregator.ids.envelopeProtocol, await lattice.ticket(), { maxFrame: 256 });
    const probe = async (make: (live: LiveRound, n: number) => Uint8Array): Promise<string> => {
      const live = await nextLive();
      await raw.write(make(live, vectorBytes(live.params)));
      const v = decodeVerdict(await raw.read());
      return v.ok ? "ok" : v.reason;
    };
    const env = (live: LiveRound, o: { round?: number; clientId?: string; length?: number }): Uint8Array =>
      encodeClientEnvelope({ round: o.round ?? live.round, clientId: o.clientId ?? live.clients[0]!, vector: new Uint8Array(o.length ?? vectorBytes(live.params)) });
    assert.equal(await probe((live) => env(live, { round: live.round + 1000 })), "wrong_round");
    assert.equal(await probe((live, n) => env(live, { length: n - 16 })), "wrong_length");
    assert.equal(await probe((live) => env(live, { clientId: "ab".repeat(32) })), "unknown_client");
    assert.equal(await probe(() => new Uint8Array([1, 2, 3])), "malformed");
    const rej = cluster.aggregator.rejections();
    for (const reason of ["wrong_round", "wrong_length", "unknown_client", "malformed"]) {
      assert.ok((rej[reason] ?? 0) >= 1, `aggregator counted ${reason}`);
      assert.ok(cluster.aggregatorMetrics.get(ZIPNET_METRICS.submissionsRejected, { reason }) >= 1, `metric for ${reason}`);
    }

    // A second, different partial from a server for a committed aggregate: refused by the machine and counted.
    const s0 = cluster.servers[0]!;
    let conflict: string | null = null;
    const off = s0.onApplied((a) => {
      if (conflict !== null || a.result.status !== "accepted" || a.command?.type !== "submitPartial" || a.command.partial.serverId !== s0.serverId) return;
      const p = a.command.partial;
      const forged = { ...p, vector: p.vector.map((b, i) => (i === 0 ? b ^ 1 : b)) };
      conflict = "pending";
      setImmediate(() =>
        void s0.committee.propose(encodeCommand({ type: "submitPartial", partial: forged })).then((r) => {
          const verdict = r.result.status === "rejected" ? r.result.reason : r.result.status;
          // On a loaded machine the next round may open first: try again on a later round.
          conflict = verdict === "wrong_round" ? null : verdict;
        }),
      );
    });
    await waitFor("the forged partial's verdict", () => conflict !== null && conflict !== "pending", 60_000);
    off();
    assert.ok(conflict === "aggregate_conflict" || conflict === "round_finalized", `duplicate partial refused (${conflict})`);
    await waitFor("the refusal counted on every server", () => cluster.serverMetrics.every((m) => m.get(ZIPNET_METRICS.commandsRejected, { reason: conflict! }) >= 1), 10_000);

    await waitFor("every datum landed", () => receipts.filter((r) => r.outcome === "landed").length >= sent.size, 100_000, 100);
    await waitFor("both readers saw every datum", () => seen.every((l) => l.length >= sent.size), 20_000);
    readers.abort();
    await Promise.allSettled(readersDone);

    const [a, b] = seen as [ReadDatum[], ReadDatum[]];
    assert.deepEqual(a.map((d) => hex(d.tx)), b.map((d) => hex(d.tx)), "two readers, same order");
    const got = a.map((d) => hex(d.tx));
    assert.equal(new Set(got).size, got.length, "no datum twice");
    assert.deepEqual([...got].sort(), [...sent].sort(), "every datum, nothing else");
    assert.equal(receipts.filter((r) => r.final && r.outcome !== "landed").length, 0, "nothing given up");
    const mine = await firstReceipts;
    assert.deepEqual(mine.filter((r) => r.outcome === "landed").map((r) => r.id), firstIds, "client 0's datums land in submission order, one Landed receipt each");
    assert.equal(clients[0]!.pending(), 0);
    const rounds = cluster.servers[0]!.state.machine.counters().roundsFinalized;
    assert.ok(rounds >= 2);
    assert.ok((cluster.serverMetrics[0]!.observations.get(ZIPNET_METRICS.roundCommitLatency) ?? []).length >= 1, "round latency observed");
    assert.ok(cluster.serverMetrics[0]!.get(ZIPNET_METRICS.broadcastsAppended) >= rounds - 1);
  } finally {
    readers.abort();
    await Promise.allSettled(clients.map((c) => c.close()));
    await cluster.stop();
    await Promise.allSettled(clientHosts.map((h) => h.stop()));
  }
});
