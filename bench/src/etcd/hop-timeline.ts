// Reads the RAFT_HOP_TRACE=1 logs of one raft-vs-etcd run and prints where a
// c=1 write's time goes (the table in packages/net/docs/committee.md):
//
//   cd bench && RAFT_HOP_TRACE=1 BENCH_CONCURRENCY=1 pnpm bench raft-vs-etcd
//   node --import tsx src/etcd/hop-timeline.ts [dir] [--slowest N]   (default /tmp)
//
// --slowest N also prints the N slowest writes as one merged timeline of all
// three members (ms from the client's send), which is how a stall shared by
// every member (the disk, the VM) tells itself apart from one member's GC.
// A write the leader proposed while its previous save ran (drv.earlyPropose)
// counts from there, and its "save" is the one the leader was waiting on.
//
// Each client put (send, receive) is matched with the leader's events inside
// that window; followers are summarised per Ready (inbox → Ready → saved →
// ack sent). All processes stamp the same wall clock, so no alignment is needed.
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface Ev {
  readonly t: number;
  readonly kind: string;
  readonly detail: string;
}

const args = process.argv.slice(2);
const slowestAt = args.indexOf("--slowest");
const slowestN = slowestAt >= 0 ? Number(args[slowestAt + 1]) : 0;
if (slowestAt >= 0 && !(Number.isInteger(slowestN) && slowestN > 0)) throw new Error(`--slowest wants a positive integer, got ${JSON.stringify(args[slowestAt + 1])}`);
const dir = args.find((a, i) => !a.startsWith("--") && (slowestAt < 0 || i !== slowestAt + 1)) ?? process.env["RAFT_HOP_TRACE_DIR"] ?? "/tmp";

function readEvents(file: string): Ev[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [t, kind, ...rest] = line.split(" ");
      return { t: Number(t), kind: kind ?? "", detail: rest.join(" ").trim() };
    });
}

const traces = [0, 1, 2].map((i) => readEvents(join(dir, `raft-hops-${i}.log`)));
// GC pauses are stamped at their start and logged when reported: keep them apart, in start order.
const members = traces.map((evs) => evs.filter((e) => e.kind !== "gc"));
const gcs = traces.map((evs) =>
  evs
    .filter((e) => e.kind === "gc")
    .map((e) => ({ start: e.t, end: e.t + Number(e.detail) }))
    .sort((a, b) => a.start - b.start),
);
const puts = readFileSync(join(dir, "raft-hops-client-c1.log"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => l.split(" ").map(Number) as [number, number]);
const leaderIndex = members.findIndex((evs) => evs.some((e) => e.kind === "http.reply"));
if (leaderIndex < 0) throw new Error(`no member log in ${dir} has http.reply events: was the run traced (RAFT_HOP_TRACE=1, c=1)?`);
const leader = members[leaderIndex]!;

/** First index whose event is at or after t (events are in time order per process). */
function from(evs: readonly Ev[], t: number): number {
  let lo = 0;
  let hi = evs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (evs[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Put {
  send: number;
  recv: number;
  req: number;
  ready: number;
  saved: number;
  ack: number;
  reply: number;
}
const rows: Put[] = [];
for (const [send, recv] of puts) {
  const p: Partial<Put> = { send, recv };
  for (let i = from(leader, send); i < leader.length && leader[i]!.t <= recv; i++) {
    const e = leader[i]!;
    if (e.kind === "http.req") p.req ??= e.t;
    else if ((e.kind === "drv.ready" && e.detail.startsWith("e=1")) || e.kind === "drv.earlyPropose") p.ready ??= e.t;
    else if (e.kind === "drv.saved" && p.ready !== undefined) p.saved ??= e.t;
    else if (e.kind === "drv.inbox" && e.detail.startsWith("appendResp") && p.ready !== undefined) p.ack ??= e.t;
    else if (e.kind === "http.reply") p.reply = e.t;
  }
  if (p.req !== undefined && p.ready !== undefined && p.saved !== undefined && p.ack !== undefined && p.reply !== undefined) rows.push(p as Put);
}
if (rows.length === 0) throw new Error("no put could be matched with the leader's events");

const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
rows.sort((a, b) => a.recv - a.send - (b.recv - b.send));
const slowest = rows.slice(Math.floor(rows.length * 0.98));
const hops: [string, (p: Put) => number][] = [
  ["client sends → leader's HTTP request event", (p) => p.req - p.send],
  ["request → Ready with the entry", (p) => p.ready - p.req],
  ["Ready → leader's WAL write + fdatasync done", (p) => p.saved - p.ready],
  ["Ready → first follower ack in the leader's inbox", (p) => p.ack - p.ready],
  ["later of the two → HTTP reply", (p) => p.reply - Math.max(p.saved, p.ack)],
  ["leader request → reply", (p) => p.reply - p.req],
  ["leader's reply → client has the response", (p) => p.recv - p.reply],
  ["client round trip", (p) => p.recv - p.send],
];
console.log(`${rows.length} of ${puts.length} puts matched; leader is member ${leaderIndex}; milliseconds`);
console.log("| hop | p50 | p90 | mean of the slowest 2% |\n|---|---|---|---|");
for (const [name, f] of hops) {
  const xs = rows.map(f);
  console.log(`| ${name} | ${q(xs, 0.5).toFixed(2)} | ${q(xs, 0.9).toFixed(2)} | ${mean(slowest.map(f)).toFixed(2)} |`);
}

/** A follower's appends with entries: inbox, Ready and saved times, in order. */
const followerSaves = new Map<number, { inbox: number; ready: number; saved: number }[]>();
for (const [i, evs] of members.entries()) {
  if (i === leaderIndex) continue;
  const saves: { inbox: number; ready: number; saved: number }[] = [];
  let cur: { inbox: number; ready?: number } | null = null;
  for (const e of evs) {
    if (e.kind === "drv.inbox" && e.detail.startsWith("append ") && !e.detail.endsWith(" 0")) cur = { inbox: e.t };
    else if (cur && e.kind === "drv.ready" && cur.ready === undefined) cur.ready = e.t;
    else if (cur?.ready !== undefined && e.kind === "drv.saved") {
      saves.push({ inbox: cur.inbox, ready: cur.ready, saved: e.t });
      cur = null;
    }
  }
  followerSaves.set(i, saves);
  if (saves.length === 0) continue;
  const fmt = (xs: number[]): string => `p50 ${q(xs, 0.5).toFixed(2)}, p90 ${q(xs, 0.9).toFixed(2)}, p99 ${q(xs, 0.99).toFixed(2)}`;
  console.log(
    `follower ${i} (${saves.length} appends): append in inbox → Ready ${fmt(saves.map((s) => s.ready - s.inbox))}; Ready → saved ${fmt(saves.map((s) => s.saved - s.ready))}`,
  );
}

// What the slowest 1 % of writes had in common, against the rate over all
// writes: a GC pause overlapping the write on the leader or on a follower,
// or a slow save (> SLOW_SAVE_MS) on the leader or on the faster follower.
const SLOW_SAVE_MS = 2;
const gcOverlap = (member: number, from: number, to: number): boolean => gcs[member]!.some((g) => g.start < to && g.end > from);
const followerSave = (member: number, p: Put): number | null => {
  const s = followerSaves.get(member)?.find((x) => x.inbox >= p.ready && x.inbox <= p.recv);
  return s ? s.saved - s.ready : null;
};
const causes: [string, (p: Put) => boolean][] = [
  ["GC pause on the leader during the write", (p) => gcOverlap(leaderIndex, p.send, p.recv)],
  ["GC pause on a follower during the write", (p) => [...followerSaves.keys()].some((m) => gcOverlap(m, p.ready, p.recv))],
  [`leader's save > ${SLOW_SAVE_MS} ms`, (p) => p.saved - p.ready > SLOW_SAVE_MS],
  [
    `faster follower's save > ${SLOW_SAVE_MS} ms`,
    (p) => Math.min(...[...followerSaves.keys()].map((m) => followerSave(m, p) ?? Infinity)) > SLOW_SAVE_MS,
  ],
];
const slowest1 = rows.slice(Math.floor(rows.length * 0.99));
const share = (xs: Put[], f: (p: Put) => boolean): string => `${((100 * xs.filter(f).length) / xs.length).toFixed(1)} %`;
const gcTotal = gcs.map((g) => g.reduce((a, x) => a + x.end - x.start, 0).toFixed(0));
console.log(`\nGC pauses per member: ${gcs.map((g, i) => `${i}: ${g.length} (${gcTotal[i]} ms)`).join(", ")}`);
console.log(`| in the write's window | slowest 1 % (${slowest1.length}) | all writes |\n|---|---|---|`);
for (const [name, f] of causes) console.log(`| ${name} | ${share(slowest1, f)} | ${share(rows, f)} |`);
console.log(`| none of these | ${share(slowest1, (p) => !causes.some(([, f]) => f(p)))} | ${share(rows, (p) => !causes.some(([, f]) => f(p)))} |`);

if (slowestN > 0) {
  // Every member's events (GC pauses included) in one time order, for the slowest writes.
  const merged = traces.flatMap((evs, m) => evs.map((e) => ({ ...e, m }))).sort((a, b) => a.t - b.t);
  const quiet = new Set(["tx.writeStart", "tx.frameIn", "drv.submit", "http.body", "drv.proposeRun"]);
  for (const [send, recv] of [...puts].sort((a, b) => b[1] - b[0] - (a[1] - a[0])).slice(0, slowestN)) {
    console.log(`\n--- write of ${(recv - send).toFixed(2)} ms (member ${leaderIndex} leads)`);
    for (let i = from(merged, send); i < merged.length && merged[i]!.t <= recv; i++) {
      const e = merged[i]!;
      if (quiet.has(e.kind)) continue;
      console.log(`  ${(e.t - send).toFixed(2).padStart(7)}  m${e.m} ${e.kind === "gc" ? `GC pause ${e.detail} ms` : `${e.kind} ${e.detail}`}`);
    }
  }
}
