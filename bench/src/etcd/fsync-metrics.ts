// WAL fsync latency over an interval, for both sides, so the report can say
// how much of a write's latency the disk explains. etcd exports the
// histogram etcd_disk_wal_fsync_duration_seconds on /metrics; percentiles
// come from the bucket deltas (upper bound of the bucket holding the rank).
import { request } from "node:http";

export interface FsyncFigure {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
}

export type Buckets = Map<number, number>;

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

export async function etcdFsyncBuckets(clientUrl: string): Promise<Buckets> {
  const text = await getText(`${clientUrl}/metrics`);
  const out: Buckets = new Map();
  for (const m of text.matchAll(/^etcd_disk_wal_fsync_duration_seconds_bucket\{le="([^"]+)"\} (\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/gm)) {
    out.set(m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2]));
  }
  return out;
}

/** Adds the fsyncs between two cumulative snapshots to `into` (a running delta). */
export function addBucketDelta(into: Buckets, before: Buckets, after: Buckets): void {
  for (const [le, n] of after) into.set(le, (into.get(le) ?? 0) + n - (before.get(le) ?? 0));
}

/** p50/p99 (ms) of raw samples, the same rank rule as the bucketed figures. */
export function fsyncOfSamples(samplesMs: readonly number[]): FsyncFigure {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p: number): number | null => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : null);
  return { count: sorted.length, p50: at(50), p99: at(99) };
}

/** Percentiles (ms) of the fsyncs between two cumulative bucket snapshots. */
export function fsyncBetween(before: Buckets, after: Buckets): FsyncFigure {
  const les = [...after.keys()].sort((a, b) => a - b);
  const delta = les.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const count = delta.at(-1) ?? 0;
  const at = (p: number): number | null => {
    if (count === 0) return null;
    const rank = Math.ceil((p / 100) * count);
    const i = delta.findIndex((c) => c >= rank);
    return i < 0 ? null : les[i]! * 1000;
  };
  return { count, p50: at(50), p99: at(99) };
}

export function describeFsync(f: FsyncFigure, bucketed: boolean): string {
  if (f.count === 0 || f.p50 === null || f.p99 === null) return "no fsyncs";
  const q = bucketed ? "≤" : "";
  return `${f.count} fsyncs, p50 ${q}${f.p50.toFixed(2)} ms, p99 ${q}${f.p99.toFixed(2)} ms`;
}
