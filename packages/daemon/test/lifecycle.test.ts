import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { type DaemonContext, type ProcessHost, runDaemon } from "../src/lifecycle.js";
import { ManualTimeSource } from "../src/timeSource.js";
import { validRoleEnv } from "./helpers/roleEnv.js";

/** A ProcessHost that records instead of exiting; `exited` settles on the first exit call. */
function fakeHost() {
  const handlers = new Map<string, () => void>();
  let crash: ((err: unknown, origin: string) => void) | undefined;
  const stderr: string[] = [];
  const exits: number[] = [];
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((r) => (resolveExit = r));
  const host: ProcessHost = {
    onSignal: (s, h) => void handlers.set(s, h),
    onCrash: (h) => void (crash = h),
    exit: (code) => {
      exits.push(code);
      resolveExit(code);
    },
    stderr: (line) => void stderr.push(line),
  };
  return { host, handlers, stderr, exits, exited, signal: (s: string) => handlers.get(s)?.(), crash: (err: unknown, origin: string) => crash?.(err, origin) };
}

function logSink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { stream, lines };
}

describe("runDaemon", () => {
  test("serves /readyz 503 until the role marks itself ready, then drains on SIGTERM and exits 0", async () => {
    const { env } = await validRoleEnv("offer-member");
    const h = fakeHost();
    const logs = logSink();
    let ctx: DaemonContext | undefined;
    let stopped = false;
    const handle = await runDaemon({
      role: "offer-member",
      env,
      host: h.host,
      logDestination: logs.stream,
      start: async (c) => {
        ctx = c;
        c.metrics.memberUp.set(1);
        return { stop: async () => void (stopped = true) };
      },
    });
    assert.ok(handle && ctx);
    const base = `http://${handle.httpAddress}`;
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /role: the role has not marked itself ready/);
    ctx.markReady();
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^lattice_up\{lattice="acme\.ethereum\.mainnet",chain_id="1",organism="offer",role="offer-member",member="member-01"\} 1$/m);
    assert.match(metrics, new RegExp(`^lattice_id\\{lattice_id_hex="${handle.env.latticeIdHex}",`, "m"));

    const starting = logs.lines.find((l) => l["msg"] === "starting");
    assert.equal(starting?.["httpAddress"], handle.httpAddress);
    assert.equal(starting?.["role"], "offer-member");
    assert.equal(starting?.["member"], "member-01");
    assert.deepEqual(starting?.["secretsLoaded"], ["committee", "peer"], "names of secrets only");

    h.signal("SIGTERM");
    assert.equal(await h.exited, 0);
    assert.equal(stopped, true);
    assert.equal(ctx.signal.aborted, true);
    assert.ok(logs.lines.some((l) => l["msg"] === "stopped" && l["exitCode"] === 0));
    await assert.rejects(fetch(`${base}/healthz`), "the HTTP server is closed after the drain");
  });

  test("a stop that outlives the 5 s budget is forced: exit 1 with a log line", async () => {
    const { env } = await validRoleEnv("zipnet-aggregator");
    const h = fakeHost();
    const logs = logSink();
    const time = new ManualTimeSource(1_700_000_000_000);
    const handle = await runDaemon({
      role: "zipnet-aggregator",
      env,
      host: h.host,
      time,
      logDestination: logs.stream,
      start: async (c) => {
        c.markReady();
        return { stop: () => new Promise<void>(() => undefined) };
      },
    });
    assert.ok(handle);
    h.signal("SIGINT");
    time.advance(4_999);
    assert.deepEqual(h.exits, []);
    time.advance(1);
    assert.equal(await h.exited, 1);
    const forced = logs.lines.find((l) => l["msg"] === "shutdown exceeded its budget; forcing exit");
    assert.equal(forced?.["budgetMs"], 5_000);
    assert.equal(forced?.["level"], "error");
  });

  test("a second signal exits at once", async () => {
    const { env } = await validRoleEnv("relay-member");
    const h = fakeHost();
    const handle = await runDaemon({ role: "relay-member", env, host: h.host, time: new ManualTimeSource(0), logDestination: logSink().stream, start: async () => ({ stop: () => new Promise<void>(() => undefined) }) });
    assert.ok(handle);
    h.signal("SIGTERM");
    h.signal("SIGTERM");
    assert.equal(await h.exited, 1);
  });

  test("a configuration error prints one line naming the role and exits 2", async () => {
    const h = fakeHost();
    const handle = await runDaemon({ role: "tally-member", env: {}, host: h.host, start: async () => assert.fail("must not start") });
    assert.equal(handle, undefined);
    assert.deepEqual(h.exits, [2]);
    assert.equal(h.stderr.length, 1);
    const line = h.stderr[0] ?? "";
    assert.ok(line.startsWith("tally-member: DAEMON_ENV_INVALID: environment for tally-member has "), line);
    assert.ok(line.includes("TALLY_ECDSA_SECRET_FILE: required but not set"), line);
    assert.ok(!line.includes("\n") && !line.includes("    at "), "one line, no stack");
  });

  test("a failing role start prints one line and exits 1", async () => {
    const { env } = await validRoleEnv("unseal-member");
    const h = fakeHost();
    const handle = await runDaemon({
      role: "unseal-member",
      env,
      host: h.host,
      logDestination: logSink().stream,
      start: async () => {
        throw Object.assign(new Error("cannot reach bootstrap peers"), { code: "NET_DIAL_FAILED" });
      },
    });
    assert.equal(handle, undefined);
    assert.deepEqual(h.exits, [1]);
    assert.deepEqual(h.stderr, ["unseal-member: NET_DIAL_FAILED: cannot reach bootstrap peers"]);
  });

  test("a crash after start logs fatal, prints one line and exits 1 without draining", async () => {
    const { env } = await validRoleEnv("offer-member", { PROMETHEUS_ADDR: undefined });
    const h = fakeHost();
    const logs = logSink();
    let stopped = false;
    const handle = await runDaemon({ role: "offer-member", env, host: h.host, logDestination: logs.stream, start: async () => ({ stop: async () => void (stopped = true) }) });
    assert.ok(handle);
    h.crash(Object.assign(new Error("invariant broken"), { code: "OFFER_STATE_CORRUPT" }), "uncaughtException");
    assert.equal(await h.exited, 1);
    assert.equal(stopped, false);
    assert.deepEqual(h.stderr, ["offer-member: crashed (uncaughtException): OFFER_STATE_CORRUPT: invariant broken"]);
    const fatal = logs.lines.find((l) => l["level"] === "fatal");
    assert.equal((fatal?.["err"] as { code?: string } | undefined)?.code, "OFFER_STATE_CORRUPT");
    // The fake host does not end the process; release what the real exit would have.
    h.signal("SIGTERM");
  });

  test("without PROMETHEUS_ADDR no HTTP server runs", async () => {
    const { env } = await validRoleEnv("zipnet-server", { PROMETHEUS_ADDR: undefined });
    const h = fakeHost();
    const handle = await runDaemon({ role: "zipnet-server", env, host: h.host, logDestination: logSink().stream, start: async () => ({ stop: async () => undefined }) });
    assert.ok(handle);
    assert.equal(handle.httpAddress, undefined);
    h.signal("SIGTERM");
    assert.equal(await h.exited, 0);
  });
});
