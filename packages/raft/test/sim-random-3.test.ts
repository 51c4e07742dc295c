// Randomized deterministic simulation with 3 members (300 schedules per run;
// the 3- and 5-member batches are separate files so they run in parallel).
// Replay: SIM_SEED=<n> SIM_MEMBERS=3 pnpm test; rerun a batch: SIM_BASE_SEED=<b>.
import { simulationBatch } from "./helpers/sim-batch.js";

simulationBatch(3, 300);
