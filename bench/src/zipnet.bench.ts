// zipnet server unblinding against its anchor: the raw AES-128-CTR keystream
// rate of node:crypto measured in the same run over the same total bytes.
// Unblinding is one keystream pass per participant, so the keystream rate is
// its ceiling; the gap is per-participant setup (createCipheriv, allocation).
// Target: single-thread unblinding ≥ 60% of single-thread keystream.
// bench has no dependency on @builder/zipnet (bench/package.json is not ours
// to edit), so the source is imported by path.
import { createCipheriv, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { availableParallelism } from "node:os";
import { PadRatchet, UnblindPool, roundParams, unblindPartial, type PadKey } from "@builder/zipnet";
import { percentile, report } from "./report.js";

const KiB = 1024;
const GiB = 1024 ** 3;
const VECTOR = 16 * KiB;

function timeIt(reps: number, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}
async function timeAsync(reps: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}
const rate = (bytes: number, ms: number) => bytes / GiB / (ms / 1000);

/** One cipher, `total` bytes through update() in `chunk`-sized buffers (the anchor). */
function keystream(total: number, chunk: number): void {
  const c = createCipheriv("aes-128-ctr", randomBytes(16), randomBytes(16));
  const zeros = new Uint8Array(chunk);
  for (let done = 0; done < total; done += chunk) c.update(zeros);
}

const keysFor = (n: number): PadKey[] => Array.from({ length: n }, () => ({ key: randomBytes(16), iv: randomBytes(16) }));

const threads = Math.max(2, availableParallelism());
const pool = new UnblindPool(threads);
console.log(`zipnet unblinding, vector ${VECTOR / KiB} KiB, ${availableParallelism()} cores, pool of ${threads} workers`);

for (const clients of [1024, 8000]) {
  const total = clients * VECTOR;
  const reps = clients > 2000 ? 9 : 21;
  const keys = keysFor(clients);
  // Warm-up (JIT, OpenSSL tables, worker start).
  keystream(total, VECTOR);
  unblindPartial(keys, VECTOR);
  await pool.unblind(keys, VECTOR);

  // Anchor and contender alternate rep by rep, so load from other processes
  // on this shared 2-core machine hits both alike.
  const a16: number[] = [];
  const a256: number[] = [];
  const single: number[] = [];
  for (let i = 0; i < reps; i++) {
    a16.push(...timeIt(1, () => keystream(total, 16 * KiB)));
    single.push(...timeIt(1, () => unblindPartial(keys, VECTOR)));
    a256.push(...timeIt(1, () => keystream(total, 256 * KiB)));
  }
  const anchor16 = rate(total, percentile(a16, 50));
  const anchorBest = Math.max(anchor16, rate(total, percentile(a256, 50)));
  const anchorDetail = `16 KiB buffers ${anchor16.toFixed(2)} GiB/s, 256 KiB buffers ${rate(total, percentile(a256, 50)).toFixed(2)} GiB/s`;
  const s50 = percentile(single, 50);
  report({
    name: `unblind ${clients} × 16 KiB, single thread`,
    value: rate(total, s50),
    unit: "GiB/s",
    anchor: { name: "AES-128-CTR keystream, 1 thread, 16 KiB buffers", value: anchor16 },
    detail: `p50 ${s50.toFixed(1)} ms, p99 ${percentile(single, 99).toFixed(1)} ms; anchor at ${anchorDetail}`,
  });
  report({
    name: `unblind ${clients} × 16 KiB, single thread`,
    value: rate(total, s50),
    unit: "GiB/s",
    anchor: { name: "best keystream buffer size, 1 thread", value: anchorBest },
  });

  // With the per-round key schedule (ratchet step + pad-key HKDF per client).
  const params = roundParams("archival");
  const groupId = randomBytes(32);
  const ratchets = keys.map((_, i) =>
    PadRatchet.fromSharedSecret(randomBytes(32), { groupId, clientId: i.toString(16).padStart(64, "0"), serverId: "ee".repeat(32), startRound: 1 }),
  );
  let round = 1;
  const withKeys = timeIt(reps, () => {
    const r = round++;
    const ks = ratchets.map((rt, i) =>
      rt.padKey({ groupId, round: r, slot: 1, params, clientId: i.toString(16).padStart(64, "0"), serverId: "ee".repeat(32) }),
    );
    unblindPartial(ks, VECTOR);
  });
  const k50 = percentile(withKeys, 50);
  report({
    name: `unblind ${clients} × 16 KiB incl. key schedule, single thread`,
    value: rate(total, k50),
    unit: "GiB/s",
    anchor: { name: "AES-128-CTR keystream, 1 thread, 16 KiB buffers", value: anchor16 },
    detail: `p50 ${k50.toFixed(1)} ms (key schedule ≈ ${(((k50 - s50) * 1000) / clients).toFixed(2)} µs/client)`,
  });

  const par = await timeAsync(reps, () => pool.unblind(keys, VECTOR));
  const p50 = percentile(par, 50);
  report({
    name: `unblind ${clients} × 16 KiB, ${threads} worker threads`,
    value: rate(total, p50),
    unit: "GiB/s",
    anchor: { name: "AES-128-CTR keystream, 1 thread, 16 KiB buffers", value: anchor16 },
    detail: `p50 ${p50.toFixed(1)} ms, p99 ${percentile(par, 99).toFixed(1)} ms; ideal ratio on ${availableParallelism()} cores ≈ ×${availableParallelism()}`,
  });
}

// Crossover: where sharding over workers starts to beat one thread.
console.log("\ncrossover (p50 ms, single thread vs pool):");
for (const [clients, vector] of [
  [16, 16 * KiB],
  [64, 16 * KiB],
  [128, 16 * KiB],
  [256, 16 * KiB],
  [512, 16 * KiB],
  [64, 64 * KiB],
  [64, 256 * KiB],
] as const) {
  const keys = keysFor(clients);
  unblindPartial(keys, vector);
  await pool.unblind(keys, vector);
  const s = percentile(timeIt(31, () => unblindPartial(keys, vector)), 50);
  const p = percentile(await timeAsync(31, () => pool.unblind(keys, vector)), 50);
  const mib = (clients * vector) / (1024 * 1024);
  console.log(`  ${clients} × ${vector / KiB} KiB (${mib.toFixed(1)} MiB): single ${s.toFixed(2)} ms, pool ${p.toFixed(2)} ms → ${p < s ? "pool" : "single"}`);
}
await pool.close();
