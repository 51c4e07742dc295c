import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { DaemonError } from "../src/errors.js";
import { startHttpServer } from "../src/httpServer.js";
import { nullLogger } from "../src/logger.js";
import { METRIC_NAMES, createDaemonMetrics } from "../src/metrics.js";
import { Readiness } from "../src/readiness.js";

const LABELS = { lattice: "acme.ethereum.mainnet", chain_id: "1", organism: "atelier", role: "atelier-member", member: "m1" };

describe("metrics", () => {
  test("common labels on every series, lattice_id carries the id, raft sink fills its metrics", async () => {
    const m = createDaemonMetrics({ organism: "atelier", latticeIdHex: "ab".repeat(32), labels: LABELS });
    m.latticeUp.set(1);
    m.memberTdxAttested.set({ member: "m2" }, 1);
    m.upstreamPeers.set({ source: "unseal" }, 3);
    const raft = m.raft();
    assert.equal(m.raft(), raft, "one sink per registry");
    raft.term?.(7);
    raft.isLeader?.(true);
    raft.proposalFailed?.("leader_changed");
    raft.commitLatencySeconds?.(0.004);
    raft.snapshotInstalled?.(0.2);
    const text = await m.registry.metrics();
    const common = 'lattice="acme.ethereum.mainnet",chain_id="1",organism="atelier",role="atelier-member",member="m1"';
    assert.ok(text.includes(`lattice_up{${common}} 1`), text);
    assert.ok(text.includes(`lattice_id{lattice_id_hex="${"ab".repeat(32)}",${common}} 1`));
    assert.ok(text.includes(`atelier_member_up{${common}} 0`));
    assert.ok(text.includes(`discovery_peers_total{${common}} 0`));
    // The observed member's label overrides the process's own member label (prom-client: metric labels win).
    assert.ok(/atelier_member_tdx_attested\{member="m2",lattice="acme\.ethereum\.mainnet"[^}]*\} 1/.test(text), text);
    assert.ok(text.includes(`atelier_upstream_peers{source="unseal",${common}} 3`));
    assert.ok(text.includes(`raft_term{${common}} 7`));
    assert.ok(text.includes(`raft_is_leader{${common}} 1`));
    assert.ok(text.includes(`raft_proposals_failed_total{reason="leader_changed",${common}} 1`));
    assert.ok(text.includes(`raft_commit_latency_seconds_bucket{le="0.005",${common}} 1`));
    assert.ok(text.includes(`raft_snapshots_total{kind="installed",${common}} 1`));
    assert.ok(text.includes("nodejs_eventloop_lag_seconds{"), "event-loop lag exported");
    for (const name of ["raft_commit_index", "raft_applied_index", "raft_proposals_committed_total", "raft_fsync_latency_seconds", "raft_snapshot_duration_seconds", "atelier_committee_size", "atelier_commits_per_slot"]) {
      assert.ok(text.includes(`# TYPE ${name} `), name);
    }
  });

  test("the named sink serves @builder/net's metric names, sharing discovery_peers_total", async () => {
    const m = createDaemonMetrics({ organism: "relay", latticeIdHex: "00".repeat(32), labels: { ...LABELS, organism: "relay", role: "relay-member" }, processMetrics: false });
    const sink = m.named();
    sink.set("discovery_peers_total", 4);
    sink.set("net_connections", 2);
    sink.inc("net_bytes_total", { direction: "in" }, 100);
    sink.inc("net_bytes_total", { direction: "in" }, 28);
    sink.inc("net_admission_refused_total", { reason: "bad_mac" });
    const text = await m.registry.metrics();
    const common = 'lattice="acme.ethereum.mainnet",chain_id="1",organism="relay",role="relay-member",member="m1"';
    assert.ok(text.includes(`discovery_peers_total{${common}} 4`), text);
    assert.equal(text.split("# TYPE discovery_peers_total").length, 2, "one series family");
    assert.ok(text.includes(`net_connections{${common}} 2`));
    assert.ok(text.includes(`net_bytes_total{direction="in",${common}} 128`));
    assert.ok(text.includes(`net_admission_refused_total{reason="bad_mac",${common}} 1`));
    assert.throws(() => sink.inc("net_connections"), /registered as another type/);
  });

  test("every declared static name is unique", () => {
    const names = Object.values(METRIC_NAMES).map((n) => (typeof n === "function" ? n("org") : n));
    assert.equal(new Set(names).size, names.length);
  });
});

describe("http endpoints", () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  test("/metrics, /healthz, and /readyz turning from 503 with reasons to 200", async () => {
    const m = createDaemonMetrics({ organism: "tally", latticeIdHex: "00".repeat(32), labels: { ...LABELS, organism: "tally" }, processMetrics: false });
    const readiness = new Readiness();
    readiness.block("role", "the role has not marked itself ready");
    readiness.block("raft", "no leader yet");
    const server = await startHttpServer({ listen: { host: "127.0.0.1", port: 0 }, registry: m.registry, readiness, logger: nullLogger });
    closers.push(() => server.close());
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
    const base = `http://${server.address}`;

    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get("content-type") ?? "", /text\/plain/);
    assert.match(await metrics.text(), /tally_member_up\{/);

    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), "ok\n");

    let ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(await ready.text(), "not ready\n- role: the role has not marked itself ready\n- raft: no leader yet\n");
    readiness.unblock("role");
    readiness.unblock("raft");
    ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    await ready.text();

    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    await missing.text();
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.text();
  });

  test("a port in use is a DAEMON_LISTEN_FAILED naming the address", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    closers.push(() => new Promise((r) => blocker.close(() => r())));
    const port = (blocker.address() as { port: number }).port;
    const m = createDaemonMetrics({ organism: "tally", latticeIdHex: "00".repeat(32), labels: LABELS, processMetrics: false });
    await assert.rejects(
      startHttpServer({ listen: { host: "127.0.0.1", port }, registry: m.registry, readiness: new Readiness(), logger: nullLogger }),
      (e: unknown) => e instanceof DaemonError && e.code === "DAEMON_LISTEN_FAILED" && e.message.includes(`127.0.0.1:${port}`) && e.message.includes("EADDRINUSE"),
    );
  });
});
