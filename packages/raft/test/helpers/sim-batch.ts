// One randomized simulation batch as a test: each schedule runs the group
// through drops, duplicates, reordering, asymmetric partitions, crashes at
// every persistence point, stalls, leader transfers and a member
// replacement, leaders applying what their followers alone commit while
// their own write is pending (earlyCommit) and replicating what is proposed
// meanwhile (earlySend), then checks election safety, leader completeness, state
// machine safety (Raft Figure 3), liveness after healing and the
// linearizability of the clients' history.
//
// Each run draws a fresh batch (its base seed is printed); rerun a batch with
// SIM_BASE_SEED=<b>, replay one schedule with SIM_SEED=<n> SIM_MEMBERS=<m>.
import { test } from "node:test";
import assert from "node:assert/strict";
import { batchBaseSeed, replayRequest, runSimulationSuite } from "../../src/sim/index.js";

export function simulationBatch(members: number, schedules: number): void {
  const replay = replayRequest();
  if (replay !== null) {
    if ((replay.members ?? members) === members) {
      test(`replay seed ${replay.seed} with ${members} members`, () => {
        const r = runSimulationSuite(members, [replay.seed]);
        assert.equal(r.failure, null, r.failure ?? "");
      });
    }
    return;
  }
  test(`${schedules} random schedules of ${members} members are safe, live after healing and linearizable`, () => {
    const base = batchBaseSeed();
    console.log(`SIM_BASE_SEED=${base} (${members} members, ${schedules} schedules)`);
    const seeds = Array.from({ length: schedules }, (_, i) => base + i);
    const r = runSimulationSuite(members, seeds);
    assert.equal(r.failure, null, r.failure ?? "");
    // The schedules must exercise the system, not idle.
    assert.ok(r.puts > schedules * 5, `only ${r.puts} puts completed`);
    assert.ok(r.gets > schedules * 5, `only ${r.gets} gets completed`);
    assert.ok(r.crashes > schedules, `only ${r.crashes} crashes injected`);
    assert.ok(r.snapshots > 0, "no snapshot was ever installed");
    assert.ok(r.earlyApplied > 0, "no leader ever applied an entry before its own write completed (earlyCommit)");
    assert.ok(r.earlySent > 0, "no leader ever sent an append while its own write was pending (earlySend)");
  });
}
