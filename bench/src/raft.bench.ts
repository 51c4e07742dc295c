// Raft commit throughput and latency: 3 members in one process, each with
// its own WAL and snapshot files (fsync on), LocalNetwork between them.
// Anchor: the fdatasync rate of the same disk measured in this run — the
// physical limit for one-at-a-time durable commits. Batching lets concurrent
// proposers beat it; at c=1 every commit needs at least leader + follower
// fsyncs in sequence, so expect well under ×1 there.
//
// Run: pnpm bench raft   (about 30 s)

import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { LocalNetwork, openDurableStorage, startRaftNode, type RaftNode, type StateMachine } from "@builder/raft";
import { percentile, report } from "./report.js";

const ENTRY_BYTES = 256;
const RUN_MS = 6000;
const WARMUP_MS = 800;

function measureFsync(dir: string, ms: number): { perSecond: number; p50Ms: number } {
  const fd = fs.openSync(join(dir, "fsync-anchor"), "w");
  const buf = Buffer.alloc(ENTRY_BYTES, 7);
  const lat: number[] = [];
  const end = performance.now() + ms;
  let pos = 0;
  while (performance.now() < end) {
    const t0 = performance.now();
    fs.writeSync(fd, buf, 0, buf.length, pos);
    fs.fdatasyncSync(fd);
    lat.push(performance.now() - t0);
    pos += buf.length;
  }
  fs.closeSync(fd);
  return { perSecond: lat.length / (ms / 1000), p50Ms: percentile(lat, 50) };
}

/** Counts applies; the state is the count (snapshots stay tiny, as the bench measures the log, not the machine). */
class CounterMachine implements StateMachine<number> {
  n = 0;
  apply(): number {
    return ++this.n;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.n));
  }
  restore(d: Uint8Array): void {
    this.n = Number(new TextDecoder().decode(d));
  }
}

function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

interface Group {
  nodes: RaftNode<number>[];
  leader: RaftNode<number>;
  fsyncs: number[];
  leaderChanges: number;
}

async function startGroup(root: string): Promise<Group> {
  const ids = ["m1", "m2", "m3"];
  const net = new LocalNetwork();
  const fsyncs: number[] = [];
  const nodes = ids.map((id, i) =>
    startRaftNode({
      id,
      peers: ids,
      storage: openDurableStorage(join(root, id), { metrics: { fsyncLatencySeconds: (s) => fsyncs.push(s) } }),
      stateMachine: new CounterMachine(),
      transport: net.transport(id),
      // 500 ms election timeout: this VM's fsync p99 reaches tens of ms, and a
      // leader blocked behind a slow fsync must not look dead.
      tickMs: 10,
      electionTick: 50,
      heartbeatTick: 2,
      random: rng(i + 1),
      snapshotEvery: 10_000,
    }),
  );
  const s = await nodes[0]!.when({ leader: true }, { timeoutMs: 10_000 });
  const leader = nodes[ids.indexOf(s.leader!)]!;
  await leader.when({ role: "leader" }, { timeoutMs: 10_000 });
  return { nodes, leader, fsyncs, leaderChanges: 0 };
}

/** Follows the leader if it moves mid-run (counted and printed, never hidden). */
async function proposeToLeader(g: Group, payload: Uint8Array): Promise<void> {
  for (;;) {
    const target = g.leader;
    try {
      await target.propose(payload);
      return;
    } catch (err) {
      const e = err as { code?: string; leader?: string | null };
      if (e.code !== "RAFT_PROPOSAL_DROPPED" && e.code !== "RAFT_PROPOSAL_OVERWRITTEN") throw err;
      const s = await g.nodes[0]!.when({ leader: true }, { timeoutMs: 10_000 });
      const next = g.nodes.find((n) => n.id === s.leader)!;
      if (next !== g.leader) {
        g.leader = next;
        g.leaderChanges++;
      }
    }
  }
}

async function runLoad(g: Group, concurrency: number, ms: number, lat: number[] | null): Promise<number> {
  const payload = new Uint8Array(ENTRY_BYTES).fill(42);
  const end = performance.now() + ms;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await proposeToLeader(g, payload);
        lat?.push(performance.now() - t0);
        done++;
      }
    }),
  );
  return done;
}

const root = fs.mkdtempSync(join(os.tmpdir(), "raft-bench-"));
try {
  const anchor = measureFsync(root, 2000);
  console.log(`disk: write ${ENTRY_BYTES} B + fdatasync, one at a time: ${anchor.perSecond.toFixed(0)}/s, p50 ${anchor.p50Ms.toFixed(2)} ms (${os.tmpdir()})`);
  for (const c of [1, 16, 64, 0]) {
    if (c === 0) {
      // Disks on shared VMs drift: measure the anchor again so a reader can see how stable it was.
      const after = measureFsync(root, 2000);
      console.log(`disk again after the runs: ${after.perSecond.toFixed(0)}/s, p50 ${after.p50Ms.toFixed(2)} ms`);
      break;
    }
    const dir = join(root, `c${c}`);
    const g = await startGroup(dir);
    await runLoad(g, c, WARMUP_MS, null);
    g.leaderChanges = 0;
    g.fsyncs.length = 0;
    const lat: number[] = [];
    const t0 = performance.now();
    const n = await runLoad(g, c, RUN_MS, lat);
    const secs = (performance.now() - t0) / 1000;
    const p50 = percentile(lat, 50);
    const p99 = percentile(lat, 99);
    const fsyncPerSec = g.fsyncs.length / secs / 3;
    const walFsyncP50 = percentile(g.fsyncs, 50) * 1000;
    report({
      name: `raft commit, 3 members, ${ENTRY_BYTES} B entries, c=${c}`,
      value: n / secs,
      unit: "entries/s",
      anchor: { name: "fdatasync/s same disk", value: anchor.perSecond },
      detail: `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ${n} commits, ${fsyncPerSec.toFixed(0)} fsyncs/s per member, ${(n / secs / fsyncPerSec).toFixed(1)} entries per fsync, ${g.leaderChanges} leader changes, WAL fsync p50 ${walFsyncP50.toFixed(2)} ms`,
    });
    report({
      name: `raft commit latency p50, c=${c}`,
      value: p50,
      unit: "ms",
      lowerIsBetter: true,
      anchor: { name: "one fdatasync p50", value: anchor.p50Ms },
      detail: `p99 ${p99.toFixed(2)} ms`,
    });
    for (const node of g.nodes) await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
