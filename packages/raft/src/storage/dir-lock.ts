// One process per data directory. Two members appending to the same WAL
// would interleave records and corrupt acknowledged data, so the directory
// holds a LOCK file naming its owner, in the manner of PostgreSQL's
// postmaster.pid: Node has no flock(), and a lock file whose owner is gone is
// recognised by the owner's pid plus that process's start time (a pid alone
// may have been reused, for instance by a container restart).

import fs from "node:fs";
import { join, resolve } from "node:path";
import { RaftStorageError } from "./errors.js";

export const LOCK_FILE = "LOCK";

/** Who holds a lock: a pid and its start time in clock ticks since boot (null where /proc is unavailable). */
export interface LockOwner {
  readonly pid: number;
  readonly startTime: string | null;
}

export interface DirLock {
  readonly path: string;
  /** The owner of a lock this one replaced because that process was gone. */
  readonly replacedStale: LockOwner | null;
  release(): void;
}

/** Directories this process holds: a second open in the same process is refused too. */
const heldHere = new Set<string>();

/** Field 22 of /proc/<pid>/stat: when the process started. Null when the process or /proc is not there. */
function startTimeOf(pid: number): string | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19] ?? null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Null for content that names no owner (a crash between creating and writing the file). */
function parseOwner(text: string): LockOwner | null {
  const m = /^(\d+) (\d+|-)\n?$/.exec(text);
  if (!m) return null;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? { pid, startTime: m[2] === "-" ? null : m[2]! } : null;
}

/** True while the process that wrote `owner` still runs. */
function ownerRuns(owner: LockOwner): boolean {
  if (owner.pid === process.pid) return false; // not held here (checked first), so it was an earlier process with our pid
  if (!isAlive(owner.pid)) return false;
  const now = startTimeOf(owner.pid);
  // Without a start time on either side, a live pid has to be taken as the owner.
  return owner.startTime === null || now === null || now === owner.startTime;
}

/**
 * Takes `dir`'s lock or throws RAFT_WAL_LOCKED naming the process that holds
 * it. A lock left by a process that no longer runs is replaced.
 */
export function lockDataDir(dir: string): DirLock {
  const key = resolve(dir);
  const path = join(key, LOCK_FILE);
  const locked = (owner: LockOwner | null, detail: string): RaftStorageError =>
    new RaftStorageError(
      "RAFT_WAL_LOCKED",
      `Data directory ${key} is in use by ${detail}; one member process per data directory (two would interleave WAL records). Stop the other process, or give this member its own LATTICE_DATA_DIR.`,
      { dir: key, lockFile: path, ...(owner ? { pid: owner.pid } : {}) },
    );
  if (heldHere.has(key)) throw locked({ pid: process.pid, startTime: null }, `this process (pid ${process.pid}), which opened it before and has not closed it`);
  fs.mkdirSync(key, { recursive: true });
  const mine = `${process.pid} ${startTimeOf(process.pid) ?? "-"}\n`;
  let replacedStale: LockOwner | null = null;
  try {
    fs.writeFileSync(path, mine, { flag: "wx", mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const text = fs.readFileSync(path, "latin1");
    const owner = parseOwner(text);
    if (owner && ownerRuns(owner)) throw locked(owner, `process ${owner.pid}`);
    replacedStale = owner ?? { pid: 0, startTime: null };
    // Replaced by rename so that no reader ever sees a half-written file.
    const tmp = `${path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, mine, { mode: 0o644 });
    fs.renameSync(tmp, path);
  }
  heldHere.add(key);
  let released = false;
  return {
    path,
    replacedStale,
    release(): void {
      if (released) return;
      released = true;
      heldHere.delete(key);
      try {
        // Only our own lock: never remove one another process took over.
        if (fs.readFileSync(path, "latin1") === mine) fs.rmSync(path, { force: true });
      } catch {
        // Already gone (the directory was removed): nothing to release.
      }
    },
  };
}
