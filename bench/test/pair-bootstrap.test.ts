import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { pairedPercentileRatio } from "../src/etcd/pair-bootstrap.js";
import { percentile } from "../src/report.js";

const slice = (from: number, n: number, step: number): number[] => Array.from({ length: n }, (_, i) => from + i * step);

test("the point ratio is the pooled percentile ratio of all slices, and the interval contains it", () => {
  const ours = [slice(1, 100, 0.05), slice(2, 100, 0.03), slice(1.5, 100, 0.04)];
  const anchor = [slice(1.2, 100, 0.06), slice(2.5, 100, 0.02), slice(1, 100, 0.08)];
  const r = pairedPercentileRatio(ours, anchor, { resamples: 300 });
  assert.equal(r.ratio, percentile(anchor.flat(), 99) / percentile(ours.flat(), 99));
  assert.ok(r.low <= r.ratio && r.ratio <= r.high, `${r.low} ≤ ${r.ratio} ≤ ${r.high}`);
  assert.equal(r.resamples, 300);
});

test("identical sides give ratio 1 with no spread; a uniformly faster side gives its factor", () => {
  const s = [slice(1, 50, 0.1), slice(3, 50, 0.2)];
  assert.deepEqual(pairedPercentileRatio(s, s), { ratio: 1, low: 1, high: 1, resamples: 200 });
  const twiceAsSlow = s.map((x) => x.map((v) => v * 2));
  const r = pairedPercentileRatio(s, twiceAsSlow);
  assert.equal(r.ratio, 2);
  assert.equal(r.low, 2);
  assert.equal(r.high, 2);
});

test("the interval widens when the pairs disagree, and is reproducible from the seed", () => {
  const ours = [slice(1, 100, 0.01), slice(10, 100, 0.1)];
  const anchor = [slice(5, 100, 0.01), slice(2, 100, 0.1)];
  const r = pairedPercentileRatio(ours, anchor, { seed: 7 });
  assert.ok(r.high - r.low > 1, `interval ${r.low}–${r.high}`);
  assert.deepEqual(pairedPercentileRatio(ours, anchor, { seed: 7 }), r);
});

test("property: the interval lies within the per-pair ratios' range and contains the point ratio's order", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.array(fc.double({ min: 0.1, max: 100, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.array(fc.double({ min: 0.1, max: 100, noNaN: true }), { minLength: 1, maxLength: 30 })), { minLength: 1, maxLength: 6 }),
      (pairs) => {
        const r = pairedPercentileRatio(pairs.map((p) => p[0]), pairs.map((p) => p[1]), { resamples: 50 });
        assert.ok(r.low <= r.high);
        // Every resample pools a subset of the slices, so its percentiles lie within the slices' extremes.
        const lo = Math.min(...pairs.flatMap((p) => p[1])) / Math.max(...pairs.flatMap((p) => p[0]));
        const hi = Math.max(...pairs.flatMap((p) => p[1])) / Math.min(...pairs.flatMap((p) => p[0]));
        assert.ok(r.low >= lo - 1e-12 && r.high <= hi + 1e-12);
      },
    ),
    { numRuns: 100 },
  );
});

test("bad input is refused with what was expected", () => {
  assert.throws(() => pairedPercentileRatio([], []), /same number \(≥ 1\) of slices per side, got 0 and 0/);
  assert.throws(() => pairedPercentileRatio([[1]], [[1], [2]]), /got 1 and 2/);
  assert.throws(() => pairedPercentileRatio([[1]], [[]]), /a slice has no latencies/);
  assert.throws(() => pairedPercentileRatio([[1]], [[1]], { resamples: 0 }), /resamples must be an integer ≥ 1, got 0/);
});
