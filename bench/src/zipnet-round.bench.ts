// zipnet round latency: OpenRound commit → Broadcasts commit, p50/p95, for 64
// clients in the interactive window (1 s rounds, fold deadline 700 ms), with
// three zipnet-server processes and a zipnet-aggregator process on loopback.
// Anchor: the interactive window's round period (1 s): a round must reach
// Broadcasts within its period or the next round abandons it; the seed's
// slot budget for all of zipnet's rounds is 30 s.
// The driver lives with zipnet's process fixtures (it needs
// @builder/lattice-config and @builder/daemon, which bench does not depend on).
import { measureRoundLatency } from "../../packages/zipnet/test/fixtures/round-latency.js";
import { percentile, report } from "./report.js";

const CLIENTS = 64;
const r = await measureRoundLatency({ clients: CLIENTS, rounds: 30, warmupRounds: 3, log: (l) => console.log(`# ${l}`) });
const w = r.window;
console.log(
  `zipnet round latency, ${CLIENTS} clients, window ${w.roundPeriodMs}/${w.foldDeadlineMs}/${w.roundDeadlineMs} ms (period/fold/deadline), ` +
    `${r.latenciesMs.length} rounds finalized, ${r.unfinalized} not, ${r.landed} datums landed, participants p50 ${r.participants.length ? percentile(r.participants, 50) : 0}`,
);
if (r.latenciesMs.length === 0) {
  console.error("no measured round finalized");
  process.exit(1);
}
for (const [who, sample] of [["server-0 apply", r.serverLatenciesMs], ["reader", r.latenciesMs]] as const) {
  if (sample.length === 0) continue;
  for (const p of [50, 95]) {
    const v = percentile(sample, p);
    report({
      name: `round latency p${p} (${who}, n=${sample.length})`,
      value: v,
      unit: "ms",
      anchor: { name: "interactive round period", value: w.roundPeriodMs },
      lowerIsBetter: true,
      detail: `fold deadline alone is ${w.foldDeadlineMs} ms; beyond it: ${(v - w.foldDeadlineMs).toFixed(0)} ms`,
    });
  }
}
report({
  name: "round latency p95 vs the seed's slot budget",
  value: percentile(r.serverLatenciesMs.length > 0 ? r.serverLatenciesMs : r.latenciesMs, 95),
  unit: "ms",
  anchor: { name: "30 s slot budget", value: 30_000 },
  lowerIsBetter: true,
});
