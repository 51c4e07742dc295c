// CPU time of a set of processes, from /proc/<pid>/stat (utime + stime), so
// the report can say how much CPU each side spends per write. On two cores
// with four busy processes, CPU per write turns into scheduling delay.
import { readFileSync } from "node:fs";

/** Linux USER_HZ; fixed at 100 on every architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuSeconds {
  readonly user: number;
  readonly system: number;
}

export function cpuSecondsOf(pids: readonly number[]): CpuSeconds {
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    user += Number(fields[11]);
    system += Number(fields[12]);
  }
  return { user: user / CLOCK_TICKS_PER_SECOND, system: system / CLOCK_TICKS_PER_SECOND };
}

export function cpuBetween(a: CpuSeconds, b: CpuSeconds): CpuSeconds {
  return { user: b.user - a.user, system: b.system - a.system };
}
