// How sure is a pooled percentile ratio? The bench measures each side in
// alternating slices, so the unit of independent evidence is a slice pair,
// not a write (writes inside one slice share the disk's and the CPU's phase).
// Resampling pairs with replacement and pooling them again gives the spread
// of the ratio that the machine's drift alone produces: a percentile
// bootstrap interval.

export interface RatioInterval {
  /** anchor percentile / ours on all slices: > 1 means ours is lower (better). */
  readonly ratio: number;
  readonly low: number;
  readonly high: number;
  readonly resamples: number;
}

/** Mulberry32: a small seeded generator, so a run's interval is reproducible from its data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nearest-rank percentile of an ascending Float64Array (report.ts percentile's rule). */
function rankOf(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function pooled(slices: readonly Float64Array[], picks: readonly number[], p: number): number {
  let n = 0;
  for (const i of picks) n += slices[i]!.length;
  const all = new Float64Array(n);
  let off = 0;
  for (const i of picks) {
    all.set(slices[i]!, off);
    off += slices[i]!.length;
  }
  return rankOf(all.sort(), p);
}

/**
 * The ratio anchor/ours of the p-th percentile of latencies pooled over all
 * slice pairs, with a 95 % percentile-bootstrap interval over pairs.
 * `ours[i]` and `anchor[i]` are the latencies of pair i.
 */
export function pairedPercentileRatio(
  ours: readonly (readonly number[])[],
  anchor: readonly (readonly number[])[],
  opts: { p?: number; resamples?: number; seed?: number } = {},
): RatioInterval {
  const p = opts.p ?? 99;
  const resamples = opts.resamples ?? 200;
  if (ours.length === 0 || ours.length !== anchor.length) {
    throw new Error(`pairedPercentileRatio: need the same number (≥ 1) of slices per side, got ${ours.length} and ${anchor.length}`);
  }
  if ([...ours, ...anchor].some((s) => s.length === 0)) throw new Error("pairedPercentileRatio: a slice has no latencies");
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`pairedPercentileRatio: resamples must be an integer ≥ 1, got ${resamples}`);
  const o = ours.map((s) => Float64Array.from(s));
  const a = anchor.map((s) => Float64Array.from(s));
  const every = o.map((_, i) => i);
  const ratio = pooled(a, every, p) / pooled(o, every, p);
  const next = prng(opts.seed ?? 1);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const picks = every.map(() => Math.floor(next() * every.length));
    ratios[r] = pooled(a, picks, p) / pooled(o, picks, p);
  }
  ratios.sort();
  return { ratio, low: rankOf(ratios, 2.5), high: rankOf(ratios, 97.5), resamples };
}
