// Reads the RAFT_HOP_TRACE=1 logs of one raft-vs-etcd run and prints where a
// c=1 write's time goes (the table in packages/net/docs/committee.md):
//
//   cd bench && RAFT_HOP_TRACE=1 BENCH_CONCURRENCY=1 pnpm bench raft-vs-etcd
//   node --import tsx src/etcd/hop-timeline.ts [dir]     (default /tmp)
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

const dir = process.argv[2] ?? process.env["RAFT_HOP_TRACE_DIR"] ?? "/tmp";

function readEvents(file: string): Ev[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [t, kind, ...rest] = line.split(" ");
      return { t: Number(t), kind: kind ?? "", detail: rest.join(" ").trim() };
    });
}

const members = [0, 1, 2].map((i) => readEvents(join(dir, `raft-hops-${i}.log`)));
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
    else if (e.kind === "drv.ready" && e.detail.startsWith("e=1")) p.ready ??= e.t;
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

for (const [i, evs] of members.entries()) {
  if (i === leaderIndex) continue;
  const inbox: number[] = [];
  const save: number[] = [];
  let cur: { inbox: number; ready?: number } | null = null;
  for (const e of evs) {
    if (e.kind === "drv.inbox" && e.detail.startsWith("append ") && !e.detail.endsWith(" 0")) cur = { inbox: e.t };
    else if (cur && e.kind === "drv.ready" && cur.ready === undefined) cur.ready = e.t;
    else if (cur?.ready !== undefined && e.kind === "drv.saved") {
      inbox.push(cur.ready - cur.inbox);
      save.push(e.t - cur.ready);
      cur = null;
    }
  }
  if (save.length === 0) continue;
  const fmt = (xs: number[]): string => `p50 ${q(xs, 0.5).toFixed(2)}, p90 ${q(xs, 0.9).toFixed(2)}, p99 ${q(xs, 0.99).toFixed(2)}`;
  console.log(`follower ${i} (${save.length} appends): append in inbox → Ready ${fmt(inbox)}; Ready → saved ${fmt(save)}`);
}
