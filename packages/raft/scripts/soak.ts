// Long randomized soak of the Raft simulation: SOAK_SCHEDULES schedules
// (default 20,000), alternating 3 and 5 members, each checked for Raft
// safety and linearizability. Prints progress, and for every failure the seed,
// the replay command and the fault schedule. Exit code 1 if any failed.
//   pnpm --filter @builder/raft test:soak
//   SOAK_SCHEDULES=2000 SOAK_SEED_BASE=7000000 pnpm --filter @builder/raft test:soak
import { defaultSimOptions, describeFailure, runSimulation } from "../src/sim/index.js";

const total = Number(process.env.SOAK_SCHEDULES ?? 20_000);
const base = Number(process.env.SOAK_SEED_BASE ?? 10_000_000);
const every = Math.max(1, Math.floor(total / 40));
const t0 = performance.now();
let failures = 0;
let puts = 0;
let gets = 0;
let crashes = 0;
let early = 0;
for (let i = 0; i < total; i++) {
  const members = i % 2 === 0 ? 3 : 5;
  const seed = base + i;
  const r = runSimulation(defaultSimOptions(seed, members));
  puts += r.stats.completedPuts;
  gets += r.stats.completedGets;
  crashes += r.stats.crashes;
  early += r.stats.earlyApplied;
  if (!r.ok) {
    failures++;
    console.log(describeFailure(r, members));
  }
  if ((i + 1) % every === 0 || i + 1 === total) {
    const s = (performance.now() - t0) / 1000;
    console.log(`soak ${i + 1}/${total} schedules, ${failures} failed, ${puts} puts + ${gets} gets checked, ${crashes} crashes, ${early} entries applied early, ${s.toFixed(1)} s (${((i + 1) / s).toFixed(1)}/s)`);
  }
}
const seconds = (performance.now() - t0) / 1000;
console.log(`soak done: ${total} schedules (seeds ${base}..${base + total - 1}) in ${seconds.toFixed(1)} s, ${failures} failed`);
process.exitCode = failures > 0 ? 1 : 0;
