// Randomized deterministic simulation, 3 members: each schedule runs the group
// through drops, duplicates, reordering, asymmetric partitions, crashes at
// every persistence point, stalls, leader transfers and a member
// replacement, then checks election safety, leader completeness, state
// machine safety (Raft Figure 3), liveness after healing and the
// linearizability of the clients' history.
// Each run draws a fresh batch (its base seed is printed); rerun a batch with
// SIM_BASE_SEED=<b>, replay one schedule with SIM_SEED=<n> SIM_MEMBERS=3 pnpm test
import { test } from "node:test";
import assert from "node:assert/strict";
import { batchBaseSeed, replayRequest, runSimulationSuite } from "../src/sim/index.js";

const MEMBERS = 3;
const SCHEDULES = 300;

const replay = replayRequest();
if (replay !== null) {
  if ((replay.members ?? MEMBERS) === MEMBERS) {
    test(`replay seed ${replay.seed} with ${MEMBERS} members`, () => {
      const r = runSimulationSuite(MEMBERS, [replay.seed]);
      assert.equal(r.failure, null, r.failure ?? "");
    });
  }
} else {
  test(`${SCHEDULES} random schedules of ${MEMBERS} members are safe, live after healing and linearizable`, () => {
    const base = batchBaseSeed();
    console.log(`SIM_BASE_SEED=${base} (${MEMBERS} members, ${SCHEDULES} schedules)`);
    const seeds = Array.from({ length: SCHEDULES }, (_, i) => base + i);
    const r = runSimulationSuite(MEMBERS, seeds);
    assert.equal(r.failure, null, r.failure ?? "");
    // The schedules must exercise the system, not idle.
    assert.ok(r.puts > SCHEDULES * 5, `only ${r.puts} puts completed`);
    assert.ok(r.gets > SCHEDULES * 5, `only ${r.gets} gets completed`);
    assert.ok(r.crashes > SCHEDULES, `only ${r.crashes} crashes injected`);
    assert.ok(r.snapshots > 0, "no snapshot was ever installed");
  });
}
