// Randomized deterministic simulation: each schedule runs a group through
// drops, duplicates, reordering, asymmetric partitions, crashes at every
// persistence point, stalls, leader transfers and a member replacement, then
// checks election safety, leader completeness, state machine safety (Raft
// Figure 3) and the linearizability of the clients' history.
// Replay one schedule: SIM_SEED=<n> SIM_MEMBERS=<3|5> pnpm test
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { defaultSimOptions, describeFailure, runSimulation } from "../src/sim/index.js";

const replaySeed = process.env.SIM_SEED === undefined ? null : Number(process.env.SIM_SEED);
const SCHEDULES: Record<number, number> = { 3: 300, 5: 200 };
/** Offsets the seed ranges so the 3- and 5-member runs explore different schedules. */
const BASE_SEED: Record<number, number> = { 3: 1_000, 5: 500_000 };

for (const members of [3, 5]) {
  describe(`simulation: ${members} members`, () => {
    if (replaySeed !== null) {
      const m = Number(process.env.SIM_MEMBERS ?? members);
      if (m !== members) return;
      test(`replay seed ${replaySeed}`, () => {
        const r = runSimulation(defaultSimOptions(replaySeed, members));
        assert.ok(r.ok, describeFailure(r, members));
      });
      return;
    }
    test(`${SCHEDULES[members]} random schedules are safe and linearizable`, () => {
      let puts = 0;
      let gets = 0;
      let crashes = 0;
      let snapshots = 0;
      for (let i = 0; i < SCHEDULES[members]!; i++) {
        const seed = BASE_SEED[members]! + i;
        const r = runSimulation(defaultSimOptions(seed, members));
        assert.ok(r.ok, describeFailure(r, members));
        puts += r.stats.completedPuts;
        gets += r.stats.completedGets;
        crashes += r.stats.crashes;
        snapshots += r.stats.snapshotsInstalled;
      }
      // The schedules must actually exercise the system, not just idle.
      assert.ok(puts > SCHEDULES[members]! * 5, `only ${puts} puts completed`);
      assert.ok(gets > SCHEDULES[members]! * 5, `only ${gets} gets completed`);
      assert.ok(crashes > SCHEDULES[members]!, `only ${crashes} crashes injected`);
      assert.ok(snapshots > 0, "no snapshot was ever installed");
    });
  });
}
