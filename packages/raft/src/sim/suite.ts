// Runs a batch of seeded schedules and aggregates what they exercised; the
// first failure is returned with its replay report.
import { defaultSimOptions, describeFailure, runSimulation } from "./simulation.js";

export interface SuiteResult {
  readonly schedules: number;
  readonly failure: string | null;
  readonly puts: number;
  readonly gets: number;
  readonly crashes: number;
  readonly snapshots: number;
  /** Entries applied by leaders before their own write completed. */
  readonly earlyApplied: number;
  /** Appends leaders sent while their own write was pending. */
  readonly earlySent: number;
}

export function runSimulationSuite(members: number, seeds: readonly number[]): SuiteResult {
  let puts = 0;
  let gets = 0;
  let crashes = 0;
  let snapshots = 0;
  let earlyApplied = 0;
  let earlySent = 0;
  for (const seed of seeds) {
    const r = runSimulation(defaultSimOptions(seed, members));
    if (!r.ok) return { schedules: seeds.length, failure: describeFailure(r, members), puts, gets, crashes, snapshots, earlyApplied, earlySent };
    puts += r.stats.completedPuts;
    gets += r.stats.completedGets;
    crashes += r.stats.crashes;
    snapshots += r.stats.snapshotsInstalled;
    earlyApplied += r.stats.earlyApplied;
    earlySent += r.stats.earlySent;
  }
  return { schedules: seeds.length, failure: null, puts, gets, crashes, snapshots, earlyApplied, earlySent };
}

/** SIM_SEED (and SIM_MEMBERS) from the environment: replay one schedule instead of the batch. */
export function replayRequest(env: NodeJS.ProcessEnv = process.env): { seed: number; members: number | null } | null {
  if (env.SIM_SEED === undefined) return null;
  const seed = Number(env.SIM_SEED);
  if (!Number.isSafeInteger(seed)) throw new Error(`SIM_SEED must be an integer, got ${JSON.stringify(env.SIM_SEED)}`);
  return { seed, members: env.SIM_MEMBERS === undefined ? null : Number(env.SIM_MEMBERS) };
}

/**
 * The first seed of a test run's batch: SIM_BASE_SEED when set (to rerun a
 * whole batch), otherwise fresh per run, so that every CI run explores new
 * schedules instead of re-proving the same ones. The caller prints it.
 */
export function batchBaseSeed(env: NodeJS.ProcessEnv = process.env, draw: () => number = () => Math.floor(Math.random() * (2 ** 32 - 2 ** 20))): number {
  if (env.SIM_BASE_SEED === undefined) return draw();
  const seed = Number(env.SIM_BASE_SEED);
  // The PRNG is 32-bit: a larger seed would alias a smaller one.
  if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error(`SIM_BASE_SEED must be an integer in [0, 2^32), got ${JSON.stringify(env.SIM_BASE_SEED)}`);
  }
  return seed;
}
