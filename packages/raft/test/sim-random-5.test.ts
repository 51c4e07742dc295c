// Randomized deterministic simulation with 5 members (200 schedules per run;
// the 3- and 5-member batches are separate files so they run in parallel).
// Replay: SIM_SEED=<n> SIM_MEMBERS=5 pnpm test; rerun a batch: SIM_BASE_SEED=<b>.
import { simulationBatch } from "./helpers/sim-batch.js";

simulationBatch(5, 200);
