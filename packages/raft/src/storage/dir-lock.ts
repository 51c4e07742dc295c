// One process per data directory. Two members appending to the same WAL
// would interleave records and corrupt acknowledged data, so the directory
// holds a LOCK file naming its owner, in the manner of PostgreSQL's
// postmaster.pid: Node has no flock(), and a lock file whose owner is gone is
// recognised by the owner's pid, that process's start time (a pid alone may
// have been reused, for instance by a container restart) and the boot id (a
// reboot may repeat both).

import fs from "node:fs";
import { join } from "node:path";
import { RaftStorageError } from "./errors.js";

export const LOCK_FILE = "LOCK";

/** Who holds a lock. Null fields were unknown to the writer (no /proc). */
export interface LockOwner {
  readonly pid: number;
  /** Clock ticks since boot at which the process started (/proc/<pid>/stat field 22). */
  readonly startTime: string | null;
  readonly bootId: string | null;
}

export interface DirLock {
  readonly path: string;
  /** The owner of a lock this one replaced because that process was gone. */
  readonly replacedStale: LockOwner | null;
  release(): void;
}

/** Directories this process holds, by real path: a second open in the same process is refused too. */
const heldHere = new Set<string>();

function readProc(path: string): string | null {
  try {
    return fs.readFileSync(path, "latin1");
  } catch {
    return null;
  }
}

function startTimeOf(pid: number): string | null {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
}

const bootId = readProc("/proc/sys/kernel/random/boot_id")?.trim() || null;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user. A zombie counts as alive too: erring towards refusal.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function formatOwner(o: LockOwner): string {
  return `${o.pid} ${o.startTime ?? "-"} ${o.bootId ?? "-"}\n`;
}

/** Null for content that names no owner (damaged by hand or by the disk). */
export function parseOwner(text: string): LockOwner | null {
  const m = /^(\d{1,10}) (\d+|-) ([0-9a-f-]+)\n?$/.exec(text);
  if (!m) return null;
  const pid = Number(m[1]);
  if (pid < 1) return null;
  return { pid, startTime: m[2] === "-" ? null : m[2]!, bootId: m[3] === "-" ? null : m[3]! };
}

/**
 * True while the process that wrote `owner` may still run. Where something
 * cannot be known (no /proc), a live pid is taken as the owner: refusing a
 * start is recoverable, two writers on one WAL are not.
 */
function ownerRuns(owner: LockOwner, self: LockOwner): boolean {
  if (owner.bootId !== null && self.bootId !== null && owner.bootId !== self.bootId) return false;
  const startedAt = owner.pid === self.pid ? self.startTime : isAlive(owner.pid) ? startTimeOf(owner.pid) : undefined;
  if (startedAt === undefined) return false;
  return owner.startTime === null || startedAt === null || startedAt === owner.startTime;
}

/** Lock files a takeover was writing when its process died. */
function removeDeadTemps(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const m = /^LOCK\.(\d+)\.tmp$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) fs.rmSync(join(dir, name), { force: true });
  }
}

function lockedError(dir: string, path: string, owner: LockOwner | null, detail: string): RaftStorageError {
  return new RaftStorageError(
    "RAFT_WAL_LOCKED",
    `Data directory ${dir} is in use by ${detail}; one member process per data directory (two would interleave WAL records). Stop the other process, or give this member its own LATTICE_DATA_DIR.`,
    { dir, lockFile: path, ...(owner ? { pid: owner.pid } : {}) },
  );
}

function readLock(dir: string, path: string): string | null {
  try {
    return fs.readFileSync(path, "latin1");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null; // released between our attempt and this read: try again
    throw new RaftStorageError("RAFT_WAL_LOCKED", `Cannot read the lock file ${path} of data directory ${dir} (${code}); check the directory's owner and permissions.`, { dir, lockFile: path, errno: code }, { cause: err });
  }
}

/**
 * Takes `dir`'s lock or throws RAFT_WAL_LOCKED naming the process that holds
 * it. A lock left by a process that no longer runs is replaced.
 */
export function lockDataDir(dirArg: string): DirLock {
  fs.mkdirSync(dirArg, { recursive: true });
  // The real path: the same directory reached through a symlink is the same directory.
  const dir = fs.realpathSync(dirArg);
  const path = join(dir, LOCK_FILE);
  if (heldHere.has(dir)) throw lockedError(dir, path, null, `this process (pid ${process.pid}), which opened it before and has not closed it`);
  const self: LockOwner = { pid: process.pid, startTime: startTimeOf(process.pid), bootId };
  const mine = formatOwner(self);
  // Written whole first, then linked into place: no reader ever sees a half-written LOCK.
  const tmp = join(dir, `${LOCK_FILE}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, mine, { mode: 0o644 });
  let replacedStale: LockOwner | null = null;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        fs.linkSync(tmp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const text = readLock(dir, path);
      if (text === null && attempt < 5) continue;
      const owner = text === null ? null : parseOwner(text);
      if (owner && ownerRuns(owner, self)) throw lockedError(dir, path, owner, owner.pid === process.pid ? `this process (pid ${process.pid}), through another path or module instance` : `process ${owner.pid}`);
      fs.renameSync(tmp, path);
      // Another starter replacing the same stale lock at the same moment: whoever wrote last holds it.
      const now = readLock(dir, path);
      if (now !== mine) {
        const other = now === null ? null : parseOwner(now);
        throw lockedError(dir, path, other, other ? `process ${other.pid}, which took over the same stale lock at the same time` : "another process");
      }
      replacedStale = owner ?? { pid: 0, startTime: null, bootId: null };
      break;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  removeDeadTemps(dir);
  heldHere.add(dir);
  let released = false;
  return {
    path,
    replacedStale,
    release(): void {
      if (released) return;
      released = true;
      heldHere.delete(dir);
      // Only our own lock: never remove one another process took over.
      if (readProc(path) === mine) fs.rmSync(path, { force: true });
    },
  };
}
