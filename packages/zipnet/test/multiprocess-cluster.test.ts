// Three zipnet-server processes and one zipnet-aggregator process (the
// builder executables, from source), twenty clients and two readers in this
// process: every datum lands exactly once in the same order for both
// readers; a SIGKILLed server stalls the round visibly and, restarted, the
// rounds resume.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { multiaddr } from "@multiformats/multiaddr";
import { EventEmitter } from "node:events";
import { createLatticeHost, openTicketedStream, subscribe, type LatticeHost } from "@builder/net";
import { decodeLiveRound, decodeVerdict, encodeClientEnvelope, read, readRecords, submit, vectorBytes, zipnetIds, ZIPNET_METRICS, type BroadcastRecord, type ReadDatum, type Submitter, type SubmissionReceipt } from "../src/index.js";
import { testLattice, waitFor } from "./fixtures/lattice.js";
import { prepareProcessLattice, type ProcessLattice } from "./fixtures/processes.js";

const START_MS = 60_000;
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const txOf = (client: number, k: number): Uint8Array => new TextEncoder().encode(`0x02 mp client ${client} tx ${k}`);

// One second rounds as in the interactive window; the fold leaves room for three processes' partials on 2 cores.
const WINDOW = { roundPeriodMs: 1000, minParticipants: 2, maxParticipants: 32, foldDeadlineMs: 400, roundDeadlineMs: 950 };

test("3 server processes + aggregator process: exactly-once delivery, same order for two readers; SIGKILL stalls, restart resumes", { timeout: 170_000 }, async () => {
  const lattice = testLattice(WINDOW, "multiproc");
  const pl: ProcessLattice = await prepareProcessLattice(lattice);
  const hosts: LatticeHost[] = [];
  const clients: Submitter[] = [];
  const stopReaders = new AbortController();
  const loops: Promise<unknown>[] = [];
  try {
    for (const p of [...pl.servers, pl.aggregator]) p.start();
    await Promise.all(
      [...pl.servers, pl.aggregator].map((p) => p.waitForLog("listening", (l) => typeof l.msg === "string" && l.msg.endsWith("listening"), START_MS)),
    );
    for (let i = 0; i < 4; i++) hosts.push(await createLatticeHost({ secret: crypto.getRandomValues(new Uint8Array(32)) }));
    for (let i = 0; i < 20; i++) {
      clients.push(await submit(lattice.config, { providers: pl.providers, aggregator: pl.aggregatorAddr, ticket: lattice.ticket, host: hosts[i % 4]! }));
    }
    const receipts: SubmissionReceipt[] = [];
    for (const c of clients) c.events.on("receipt", (r) => receipts.push(r));
    const sent = new Set<string>();
    clients.forEach((c, i) => {
      c.send(txOf(i, 0));
      sent.add(hex(txOf(i, 0)));
    });

    const seen: ReadDatum[][] = [[], []];
    const readers = seen.map(async (list, r) => {
      const providers = r === 0 ? pl.providers : [...pl.providers].reverse();
      for await (const d of read(lattice.config, { providers, ticket: lattice.ticket, host: hosts[r]!, signal: stopReaders.signal })) list.push(d);
    });
    const records: BroadcastRecord[] = [];
    const recordsDone = (async () => {
      for await (const r of readRecords(lattice.config, { providers: pl.providers, ticket: lattice.ticket, host: hosts[2]!, signal: stopReaders.signal })) records.push(r);
    })();
    loops.push(...readers, recordsDone);

    await waitFor("every datum landed", () => receipts.filter((r) => r.outcome === "landed").length >= sent.size, 90_000, 100);
    await waitFor("both readers saw every datum", () => seen.every((l) => l.length >= sent.size), 20_000);
    const [a, b] = seen as [ReadDatum[], ReadDatum[]];
    assert.deepEqual(a.map((d) => hex(d.tx)), b.map((d) => hex(d.tx)), "two readers, same order");
    const got = a.map((d) => hex(d.tx));
    assert.equal(new Set(got).size, got.length, "no datum twice");
    assert.deepEqual([...got].sort(), [...sent].sort(), "every datum, nothing else");

    // Bad envelopes to the aggregator process, each sent as soon as a LiveRound reaches this
    // process (the aggregator folds for 400 ms from about then): refused with reasons, counted.
    const ids = zipnetIds(lattice.config);
    const rounds = new EventEmitter<{ live: [number] }>();
    let maxLive = 0;
    loops.push(
      (async () => {
        for await (const e of subscribe(hosts[3]!.libp2p, ids.collections.liveRound, { fromSlot: 0, providers: pl.providers.map((p) => multiaddr(p)), ticket: lattice.ticket, signal: stopReaders.signal })) {
          maxLive = decodeLiveRound(e.data).round;
          rounds.emit("live", maxLive);
        }
      })().catch(() => {}),
    );
    // Past the replayed history: from here on every LiveRound entry is a round just opened.
    const finalizedSoFar = Math.max(...records.map((r) => r.round));
    await waitFor("the LiveRound follower caught up", () => maxLive > finalizedSoFar, 10_000);
    const raw = await openTicketedStream(hosts[3]!.libp2p, multiaddr(pl.aggregatorAddr), ids.envelopeProtocol, await lattice.ticket(), { maxFrame: 256 });
    const probed: number[] = [];
    const probe = async (make: (round: number) => Uint8Array): Promise<string> => {
      const round = await new Promise<number>((resolve) => rounds.once("live", resolve));
      probed.push(round);
      await raw.write(make(round));
      const v = decodeVerdict(await raw.read());
      return v.ok ? "ok" : v.reason;
    };
    const n = vectorBytes(ids.params);
    assert.equal(await probe((r) => encodeClientEnvelope({ round: r, clientId: "cd".repeat(32), vector: new Uint8Array(n) })), "unknown_client");
    assert.equal(await probe((r) => encodeClientEnvelope({ round: r, clientId: clients[1]!.clientId, vector: new Uint8Array(n - 4) })), "wrong_length");
    assert.equal(await probe((r) => encodeClientEnvelope({ round: r + 500, clientId: clients[1]!.clientId, vector: new Uint8Array(n) })), "wrong_round");
    assert.equal(await probe(() => Uint8Array.of(0xff, 0, 1)), "malformed");
    const aggCounters = await (await fetch(await pl.aggregator.metricsUrl(1000))).text();
    for (const reason of ["unknown_client", "wrong_length", "wrong_round", "malformed"]) {
      assert.match(aggCounters, new RegExp(`\\n${ZIPNET_METRICS.submissionsRejected}\\{[^}]*reason="${reason}"[^}]*\\} [1-9]\\d*\\n`), `counted ${reason}`);
    }
    // The rounds those probes hit still finalize (unless one was already abandoned under load, which the next rounds show).
    await waitFor("the probed rounds' successors finalized", () => records.some((r) => r.round > Math.max(...probed)), 20_000, 50);
    const hit = records.filter((r) => probed.includes(r.round));
    assert.ok(hit.length >= probed.length - 1, `probed rounds ${probed.join(",")} finalized: ${hit.map((r) => r.round).join(",")}`);
    assert.ok(hit.every((r) => r.participants >= 2));

    // SIGKILL one server: the next round cannot finalize (anytrust needs every partial).
    const victim = pl.servers[2]!;
    const witness = pl.servers[0]!;
    const victimServerId = String((await victim.waitForLog("server id", (l) => typeof l["serverId"] === "string", 1000))["serverId"]);
    const since = witness.logs.length;
    await victim.kill("SIGKILL");
    const stalled = await witness.waitForLog(
      "a stalled round naming the killed server",
      (l) => l.msg === "zipnet: round stalled past its deadline" && Array.isArray(l["missingServers"]) && (l["missingServers"] as string[]).includes(victimServerId),
      30_000,
      since,
    );
    const stalledRound = Number(stalled["round"]);
    const metrics = await (await fetch(await witness.metricsUrl(1000))).text();
    assert.match(metrics, new RegExp(`\\n${ZIPNET_METRICS.roundStalled}\\{[^}]*\\} 1\\n`), "zipnet_round_stalled 1 on a survivor");
    const finalizedBefore = records.length;
    assert.ok(!records.some((r) => r.round >= stalledRound), "nothing broadcast for the stalled round");

    // Restart it (same data dir, same identity): it catches up through Raft and rounds finalize again.
    victim.start();
    await victim.waitForLog("restarted server listening", (l) => l.msg === "zipnet-server listening", START_MS);
    await waitFor("a round after the stall finalized", () => records.some((r) => r.round > stalledRound), 60_000, 100);
    assert.ok(records.length > finalizedBefore);
    // The survivor's gauge drops when it applies a finalized round; the reader may have seen it from another server first.
    let after = "";
    const gaugeZero = new RegExp(`\\n${ZIPNET_METRICS.roundStalled}\\{[^}]*\\} 0\\n`);
    const deadline = Date.now() + 10_000;
    while (!gaugeZero.test(after) && Date.now() < deadline) after = await (await fetch(await witness.metricsUrl(1000))).text();
    assert.match(after, new RegExp(`\\n${ZIPNET_METRICS.roundsAbandoned}\\{[^}]*\\} [1-9]`), "the stalled round was abandoned");
    assert.match(after, new RegExp(`\\n${ZIPNET_METRICS.roundStalled}\\{[^}]*\\} 0\\n`), "zipnet_round_stalled back to 0");
    assert.match(after, new RegExp(`\\n${ZIPNET_METRICS.broadcastsAppended}\\{[^}]*\\} \\d+`));
    assert.match(after, new RegExp(`\\n${ZIPNET_METRICS.roundCommitLatency}_count\\{[^}]*\\} [1-9]`));
    assert.match(after, new RegExp(`\\n${ZIPNET_METRICS.serverUp}\\{[^}]*member="server-0"[^}]*\\} 1\\n`));
    const aggMetrics = await (await fetch(await pl.aggregator.metricsUrl(1000))).text();
    assert.match(aggMetrics, new RegExp(`\\n${ZIPNET_METRICS.aggregatorUp}\\{[^}]*\\} 1\\n`));
    assert.match(aggMetrics, new RegExp(`\\n${ZIPNET_METRICS.clientSubmissions}\\{[^}]*result="accepted"[^}]*\\} [1-9]`));
  } finally {
    stopReaders.abort();
    await Promise.allSettled(loops);
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(hosts.map((h) => h.stop()));
    await Promise.allSettled([...pl.servers, pl.aggregator].map((p) => p.kill("SIGTERM")));
    await rm(pl.dir, { recursive: true, force: true });
  }
});
