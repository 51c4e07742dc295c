// Closed-loop load: `concurrency` workers, each sending its next put as soon
// as the previous one returned, for a fixed duration after a warm-up.
// Identical for etcd and the committee: same client, same request shape,
// 256-byte values, keys cycling over 10,000 names.
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { HttpJsonClient } from "./http-client.js";

export interface LoadResult {
  readonly writes: number;
  /** Writes sent during the warm-up (not timed), so CPU per write can count them too. */
  readonly warmupWrites: number;
  readonly seconds: number;
  readonly writesPerSecond: number;
  readonly latenciesMs: number[];
  readonly errors: number;
  readonly firstError: string | null;
}

export const VALUE_BYTES = 256;

// RAFT_HOP_TRACE=1: client send/receive wall-clock times of each recorded put, written by the caller.
export const hopTrace: string[] | null = process.env["RAFT_HOP_TRACE"] === "1" ? [] : null;

export async function runPutLoad(url: string, concurrency: number, opts: { warmupMs: number; durationMs: number }): Promise<LoadResult> {
  const client = new HttpJsonClient(concurrency + 4);
  const value = randomBytes(VALUE_BYTES).toString("base64");
  let next = 0;
  const put = (): Promise<unknown> =>
    client.post(`${url}/v3/kv/put`, { key: Buffer.from(`bench/k${next++ % 10_000}`).toString("base64"), value });

  const run = async (ms: number, record: boolean): Promise<{ lat: number[]; n: number; errors: number; firstError: string | null }> => {
    const lat: number[] = [];
    let n = 0;
    let errors = 0;
    let firstError: string | null = null;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          try {
            await put();
            if (record) lat.push(performance.now() - t0);
            if (record && hopTrace) hopTrace.push(`${(performance.timeOrigin + t0).toFixed(3)} ${(performance.timeOrigin + performance.now()).toFixed(3)}`);
            n++;
          } catch (err) {
            errors++;
            firstError ??= String((err as Error).message ?? err);
          }
        }
      }),
    );
    return { lat, n, errors, firstError };
  };

  try {
    const w = await run(opts.warmupMs, false);
    const t0 = performance.now();
    const r = await run(opts.durationMs, true);
    const seconds = (performance.now() - t0) / 1000;
    return { writes: r.n, warmupWrites: w.n, seconds, writesPerSecond: r.n / seconds, latenciesMs: r.lat, errors: r.errors, firstError: r.firstError };
  } finally {
    client.close();
  }
}

/** Two measurements of the same point as one: writes, time and latencies pooled. */
export function mergeLoads(a: LoadResult, b: LoadResult): LoadResult {
  const writes = a.writes + b.writes;
  const seconds = a.seconds + b.seconds;
  return {
    writes,
    warmupWrites: a.warmupWrites + b.warmupWrites,
    seconds,
    writesPerSecond: writes / seconds,
    latenciesMs: a.latenciesMs.concat(b.latenciesMs),
    errors: a.errors + b.errors,
    firstError: a.firstError ?? b.firstError,
  };
}
