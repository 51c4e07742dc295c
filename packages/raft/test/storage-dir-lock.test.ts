import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCK_FILE } from "../src/storage/dir-lock.js";
import { openDurableStorage } from "../src/storage/durable-storage.js";
import { RaftStorageError } from "../src/storage/errors.js";

const holderScript = fileURLToPath(new URL("./fixtures/lock-holder.ts", import.meta.url));

/** What this process writes into LOCK: taken from a real open of `dir`, which is closed again. */
function ownLockText(dir: string): string {
  const s = openDurableStorage(dir);
  const text = fs.readFileSync(join(dir, LOCK_FILE), "latin1");
  s.close();
  return text;
}

const made: string[] = [];
after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A fresh directory, removed after the last test of this file. */
function tmpDir(): string {
  const dir = fs.mkdtempSync(join(os.tmpdir(), "raft-lock-"));
  made.push(dir);
  return dir;
}

function lockedBy(dir: string, includes: string[]) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof RaftStorageError, `expected RaftStorageError, got ${String(err)}`);
    assert.equal(err.code, "RAFT_WAL_LOCKED");
    assert.equal(err.details["dir"], dir);
    for (const s of includes) assert.ok(err.message.includes(s), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(s)}`);
    return true;
  };
}

/** Starts a process holding `dir` open and resolves once it says so. */
async function holder(dir: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", holderScript, dir], { stdio: "pipe" });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  for await (const chunk of child.stdout) {
    out += (chunk as Buffer).toString();
    if (out.includes("\n")) break;
  }
  assert.equal(out, `held ${child.pid}\n`, `lock holder did not start: ${err}`);
  return child;
}

/** A holder that was SIGKILLed: its LOCK is left behind. Resolves with its pid. */
async function killedHolder(dir: string): Promise<number> {
  const child = await holder(dir);
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
  return child.pid!;
}

describe("data directory lock", () => {
  test("a second open in the same process is refused; close releases the directory and removes LOCK", () => {
    const dir = tmpDir();
    const s = openDurableStorage(dir);
    assert.ok(fs.existsSync(join(dir, LOCK_FILE)));
    assert.throws(() => openDurableStorage(dir), lockedBy(dir, [dir, `this process (pid ${process.pid})`, "LATTICE_DATA_DIR"]));
    s.close();
    assert.equal(fs.existsSync(join(dir, LOCK_FILE)), false);
    const again = openDurableStorage(dir);
    assert.equal(again.recovery.staleLock, null);
    again.close();
  });

  test("a directory another running process holds is refused naming its pid; after it closes, the directory opens", async () => {
    const dir = tmpDir();
    const child = await holder(dir);
    assert.throws(() => openDurableStorage(dir), lockedBy(dir, [`process ${child.pid}`]));
    const exited = once(child, "exit");
    child.stdin.end();
    assert.deepEqual(await exited, [0, null]);
    const s = openDurableStorage(dir);
    assert.equal(s.recovery.staleLock, null, "a clean close leaves no lock behind");
    s.close();
  });

  test("the lock of a killed process is replaced, and the replacement is reported", async () => {
    const dir = tmpDir();
    const pid = await killedHolder(dir);
    const s = openDurableStorage(dir);
    assert.equal(s.recovery.staleLock?.pid, pid);
    assert.equal(fs.readFileSync(join(dir, LOCK_FILE), "latin1").split(" ")[0], String(process.pid));
    s.close();
  });

  test("a LOCK naming a live pid with another start time (a reused pid) or another boot, or naming no one, is replaced", () => {
    const dir = tmpDir();
    const own = ownLockText(dir);
    const [ownPid, start, boot] = own.trim().split(" ") as [string, string, string];
    const cases = [
      // The parent process runs, but it did not start at tick 1: that pid was reused.
      [`${process.ppid} 1 ${boot}\n`, process.ppid],
      // Our own pid, but another start time: an earlier process that had our pid.
      [`${ownPid} ${Number(start) + 1} ${boot}\n`, process.pid],
      // Our own pid and start time, but written before a reboot.
      [`${ownPid} ${start} 00000000-0000-0000-0000-000000000000\n`, process.pid],
      ["", 0],
      ["garbage", 0],
    ] as const;
    for (const [content, pid] of cases) {
      fs.writeFileSync(join(dir, LOCK_FILE), content);
      const s = openDurableStorage(dir);
      assert.equal(s.recovery.staleLock?.pid, pid, `LOCK ${JSON.stringify(content)}`);
      s.close();
    }
  });

  test("the same directory through a symlink, or a LOCK of this very process it does not hold (a second module instance), is refused", () => {
    const dir = tmpDir();
    const link = `${dir}-link`;
    try {
      fs.symlinkSync(dir, link);
      const s = openDurableStorage(dir);
      assert.throws(() => openDurableStorage(link), lockedBy(dir, [`this process (pid ${process.pid})`]));
      s.close();
      fs.writeFileSync(join(dir, LOCK_FILE), ownLockText(dir));
      assert.throws(() => openDurableStorage(dir), lockedBy(dir, [`this process (pid ${process.pid}), through another path or module instance`]));
    } finally {
      fs.rmSync(link, { force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a half-done takeover's temp file is removed once its process is gone", async () => {
    const dir = tmpDir();
    const leftover = join(dir, `${LOCK_FILE}.${await killedHolder(dir)}.tmp`);
    fs.writeFileSync(leftover, "");
    const s = openDurableStorage(dir);
    assert.equal(fs.existsSync(leftover), false);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith(LOCK_FILE)), [LOCK_FILE]);
    s.close();
  });

  test("closing does not remove a lock another process wrote over ours", () => {
    const dir = tmpDir();
    const s = openDurableStorage(dir);
    fs.writeFileSync(join(dir, LOCK_FILE), `${process.ppid} - -\n`);
    s.close();
    assert.equal(fs.readFileSync(join(dir, LOCK_FILE), "latin1"), `${process.ppid} - -\n`);
    // That owner still runs (start time unknown): the directory stays refused.
    assert.throws(() => openDurableStorage(dir), lockedBy(dir, [`process ${process.ppid}`]));
  });

  test("a failed open releases the lock it took", () => {
    const dir = tmpDir();
    // The snapshot directory's path is taken by a file.
    fs.writeFileSync(join(dir, "snap"), "not a directory");
    assert.throws(() => openDurableStorage(dir), (e: NodeJS.ErrnoException) => e.code === "ENOTDIR" || e.code === "EEXIST");
    assert.equal(fs.existsSync(join(dir, LOCK_FILE)), false);
  });
});
