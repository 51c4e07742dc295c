// @builder/raft + @builder/net committee vs etcd 3.4, same shape, same run.
//
// Both: three members as separate processes on loopback, durable logs with
// fsync before acknowledging (etcd fsyncs its WAL by default; our driver
// fdatasyncs the WAL before any message that depends on it), 100 ms
// heartbeat / 1 s election timeout, snapshots every 100,000 entries.
// Client: the same closed-loop HTTP/1.1 keep-alive client posts 256-byte
// values as JSON {key, value} (base64) to the LEADER: etcd's v3 JSON gateway
// (/v3/kv/put) and our member's endpoint of the same shape
// (packages/net/test/fixtures/bench-member.ts), which calls
// committee.propose(). So each write pays one client→leader HTTP hop, JSON
// decoding, replication to a majority with fsyncs, apply, and the reply.
// Concurrency 1, 16, 64, each measured BENCH_ROUNDS times (default 3),
// interleaved (etcd c, ours c, etcd c, …) so slow drift in machine load hits
// both sides alike; the verdict uses the pooled writes and latencies.
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { percentile, report } from "./report.js";
import { freePort, startEtcdCluster, type EtcdCluster } from "./etcd/cluster.js";
import { HttpJsonClient } from "./etcd/http-client.js";
import { writeFileSync } from "node:fs";
import { hopTrace, mergeLoads, runPutLoad, VALUE_BYTES, type LoadResult } from "./etcd/load.js";
import { cpuBetween, cpuSecondsOf, type CpuSeconds } from "./etcd/process-cpu.js";
import { describeFsync, etcdFsyncBuckets, fsyncBetween, type FsyncFigure } from "./etcd/fsync-metrics.js";

const NET_DIR = fileURLToPath(new URL("../../packages/net/", import.meta.url));
const MEMBER_SCRIPT = join(NET_DIR, "test/fixtures/bench-member.ts");
const CONCURRENCY = (process.env["BENCH_CONCURRENCY"] ?? "1,16,64").split(",").map(Number);
const WARMUP_MS = Number(process.env["BENCH_WARMUP_MS"] ?? 1500);
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8000);
// BENCH_ROUNDS=n measures each concurrency n times, alternating etcd and ours,
// and reports on the pooled writes and latencies: this machine's run-to-run
// swings (±30 %) hit both sides alike, and one unlucky point decides less.
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);

interface OurCluster {
  readonly pids: readonly number[];
  leaderUrl(): Promise<string>;
  /** WAL fsync latency on the given member since the previous call. */
  fsync(url: string): Promise<FsyncFigure>;
  stop(): Promise<void>;
}

async function startOurCluster(size = 3): Promise<OurCluster> {
  const dir = mkdtempSync(join(tmpdir(), "committee-bench-"));
  const secretsHex = Array.from({ length: size }, () => randomBytes(32).toString("hex"));
  const ports = await Promise.all(secretsHex.map(() => freePort()));
  const httpPorts = await Promise.all(secretsHex.map(() => freePort()));
  const shared = { secretsHex, committeeSecretHex: randomBytes(32).toString("hex"), groupIdHex: randomBytes(32).toString("hex"), ports };
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGTERM");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(
      secretsHex.map((_, index) => {
        const child = fork(MEMBER_SCRIPT, [], {
          cwd: NET_DIR,
          // BENCH_MEMBER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the members.
          execArgv: ["--conditions=source", "--import", "tsx", "--import", "@builder/polyfill", ...(process.env["BENCH_MEMBER_NODE_ARGS"]?.split(" ").filter(Boolean) ?? [])],
          env: { ...process.env, BENCH_MEMBER: JSON.stringify({ ...shared, index, httpPort: httpPorts[index], dataDir: join(dir, `m${index}`) }) },
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        children.push(child);
        return new Promise<void>((resolve, reject) => {
          child.once("message", () => resolve());
          child.once("exit", (code) => reject(new Error(`bench member ${index} exited with ${code} before it was ready`)));
        });
      }),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const probe = new HttpJsonClient();
  const urls = httpPorts.map((p) => `http://127.0.0.1:${p}`);
  return {
    pids: children.map((c) => c.pid!),
    async leaderUrl() {
      // Election is in progress right after start: ask until one member reports itself leader.
      const deadline = Date.now() + 30_000;
      for (;;) {
        for (const u of urls) {
          const s = await probe.get<{ role: string }>(`${u}/status`);
          if (s.role === "leader") return u;
        }
        if (Date.now() > deadline) throw new Error("committee: no leader within 30 s");
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    fsync: (url) => probe.get<FsyncFigure>(`${url}/fsync`),
    async stop() {
      probe.close();
      await stop();
    },
  };
}

function describe(r: LoadResult): string {
  const p50 = percentile(r.latenciesMs, 50);
  const p99 = percentile(r.latenciesMs, 99);
  return `${r.writes} writes in ${r.seconds.toFixed(1)} s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms${r.errors ? `, ${r.errors} errors (${r.firstError})` : ""}`;
}

let etcd: EtcdCluster | null = null;
let ours: OurCluster | null = null;
try {
  const t0 = Date.now();
  [etcd, ours] = await Promise.all([startEtcdCluster(3), startOurCluster(3)]);
  const [etcdLeader, ourLeader] = await Promise.all([etcd.leaderUrl(), ours.leaderUrl()]);
  console.log(`clusters up in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${VALUE_BYTES}-byte values, warm-up ${WARMUP_MS} ms, ${DURATION_MS} ms per point`);
  let allMet = true;
  for (const c of CONCURRENCY) {
    let e: LoadResult | null = null;
    let o: LoadResult | null = null;
    for (let round = 1; round <= ROUNDS; round++) {
      const tag = ROUNDS > 1 ? ` round ${round}/${ROUNDS}` : "";
      // The fsync figures cover warm-up and measurement alike (same load).
      const etcdPids = etcd.members.map((m) => m.process.pid!);
      const b0 = await etcdFsyncBuckets(etcdLeader);
      const ec0 = cpuSecondsOf(etcdPids);
      const idle0 = cpuSecondsOf(ours.pids);
      const e1 = await runPutLoad(etcdLeader, c, { warmupMs: WARMUP_MS, durationMs: DURATION_MS });
      const etcdCpu = cpuBetween(ec0, cpuSecondsOf(etcdPids));
      // Our members sit idle (heartbeats only) while etcd is measured.
      const ourIdle = cpuBetween(idle0, cpuSecondsOf(ours.pids));
      const etcdFsync = fsyncBetween(b0, await etcdFsyncBuckets(etcdLeader));
      await ours.fsync(ourLeader);
      hopTrace?.splice(0);
      const oc0 = cpuSecondsOf(ours.pids);
      const o1 = await runPutLoad(ourLeader, c, { warmupMs: WARMUP_MS, durationMs: DURATION_MS });
      const ourCpu = cpuBetween(oc0, cpuSecondsOf(ours.pids));
      const ourFsync = await ours.fsync(ourLeader);
      if (hopTrace) writeFileSync(`${process.env["RAFT_HOP_TRACE_DIR"] ?? "/tmp"}/raft-hops-client-c${c}.log`, hopTrace.join("\n"));
      // CPU covers warm-up and measurement: divide by every write sent in that time.
      const cpuPerWrite = (cpu: CpuSeconds, r: LoadResult): string => {
        const perWrite = (s: number): string => ((s * 1000) / (r.writes * (1 + WARMUP_MS / DURATION_MS))).toFixed(2);
        return `CPU/write ${perWrite(cpu.user + cpu.system)} ms (user ${perWrite(cpu.user)}, system ${perWrite(cpu.system)}; 3 members)`;
      };
      console.log(`  etcd c=${c}${tag}: ${describe(e1)}; leader WAL ${describeFsync(etcdFsync, true)}; ${cpuPerWrite(etcdCpu, e1)}`);
      console.log(`  ours idle while etcd ran: ${(((ourIdle.user + ourIdle.system) * 1000) / ((WARMUP_MS + DURATION_MS) / 1000)).toFixed(0)} ms CPU per second (3 members)`);
      console.log(`  ours c=${c}${tag}: ${describe(o1)}; leader WAL ${describeFsync(ourFsync, false)}; ${cpuPerWrite(ourCpu, o1)}`);
      e = e ? mergeLoads(e, e1) : e1;
      o = o ? mergeLoads(o, o1) : o1;
    }
    if (!e || !o) throw new Error("BENCH_ROUNDS must be at least 1");
    if (ROUNDS > 1) console.log(`  pooled over ${ROUNDS} rounds: etcd ${describe(e)}; ours ${describe(o)}`);
    const tput = report({
      name: `committee put, 3 members, c=${c}`,
      value: o.writesPerSecond,
      unit: "writes/s",
      anchor: { name: "etcd 3.4", value: e.writesPerSecond },
    });
    const p99 = report({
      name: `committee put p99, c=${c}`,
      value: percentile(o.latenciesMs, 99),
      unit: "ms",
      anchor: { name: "etcd 3.4", value: percentile(e.latenciesMs, 99) },
      lowerIsBetter: true,
      detail: `p50 ${percentile(o.latenciesMs, 50).toFixed(2)} vs ${percentile(e.latenciesMs, 50).toFixed(2)} ms`,
    });
    if (tput < 1 || p99 < 1 || o.errors > 0) allMet = false;
  }
  console.log(allMet ? "target met: throughput ≥ etcd and p99 ≤ etcd at every concurrency" : "target NOT met at every concurrency (see ratios above)");
} finally {
  await Promise.all([etcd?.stop(), ours?.stop()]);
}
