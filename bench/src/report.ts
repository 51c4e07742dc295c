// One line per figure, always beside the anchor measured in the same run:
// absolute numbers drift between machines, the ratio is what a reader compares.
export interface Figure {
  /** What was measured, e.g. "raft commit, 3 members, c=16". */
  readonly name: string;
  readonly value: number;
  /** Unit of value, e.g. "entries/s", "ms", "GiB/s". */
  readonly unit: string;
  /** The anchor's name and value in the same unit. */
  readonly anchor: { readonly name: string; readonly value: number };
  /** true when a smaller value is better (latencies): the ratio is then anchor/value. */
  readonly lowerIsBetter?: boolean;
  /** Extra context printed after the figure (p50/p99, sample count...). */
  readonly detail?: string;
}

const fmt = (v: number): string =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);

/** Prints "name: value unit | anchor: value unit | ratio ×r" and returns the ratio (>1 = better than anchor). */
export function report(f: Figure): number {
  const ratio = f.lowerIsBetter ? f.anchor.value / f.value : f.value / f.anchor.value;
  const detail = f.detail ? `  (${f.detail})` : "";
  console.log(
    `${f.name}: ${fmt(f.value)} ${f.unit} | ${f.anchor.name}: ${fmt(f.anchor.value)} ${f.unit} | ratio ×${ratio.toFixed(2)}${detail}`,
  );
  return ratio;
}

/** Percentile of an unsorted sample (nearest-rank). */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) throw new Error("percentile: empty sample");
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
