// Crash test: a real child process on real files, killed with SIGKILL at
// seeded random points. After each kill: every acknowledged entry must be
// there, in order, the WAL must pass its checksums, and proposing continues.
// Replay a failure with CRASH_SEED=<printed seed>.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { seededRandom } from "./fixtures/cluster.js";
import { Wal } from "../src/storage/wal.js";
import { SnapshotStore } from "../src/storage/snapshot-store.js";

const child = fileURLToPath(new URL("./fixtures/crash-child.ts", import.meta.url));
const KILLS = 10;

interface RunResult {
  recovered: string[];
  acks: string[];
  tornTail: boolean;
}

/** Runs one child until it has printed `killAfter` acks (0 = right after recovery), then SIGKILLs it. */
function runChild(dir: string, run: number, killAfter: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--conditions=source", "--import", "tsx", child, dir, String(run)], { stdio: ["ignore", "pipe", "pipe"] });
    const res: RunResult = { recovered: [], acks: [], tornTail: false };
    let recovered = false;
    let buf = "";
    let stderr = "";
    let killed = false;
    const kill = (): void => {
      if (!killed) {
        killed = true;
        p.kill("SIGKILL");
      }
    };
    p.stdout.setEncoding("utf8");
    p.stdout.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("recovered ")) {
          recovered = true;
          res.recovered = JSON.parse(line.slice("recovered ".length)) as string[];
          if (killAfter === 0) kill();
        } else if (line.startsWith("ack ")) {
          // Acks that arrive after we decided to kill were still acknowledged: count them.
          res.acks.push(line.slice(4));
          if (res.acks.length >= killAfter) kill();
        }
      }
    });
    p.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes("torn tail")) res.tornTail = true;
    });
    p.on("exit", (code, signal) => {
      if (signal === "SIGKILL" && recovered) resolve(res);
      else reject(new Error(`crash child run ${run} exited with ${code ?? signal} before being killed\n${stderr}`));
    });
  });
}

/** True when `sub` appears in `list` in the same order. */
function isSubsequence(sub: readonly string[], list: readonly string[]): boolean {
  let j = 0;
  for (const x of list) if (j < sub.length && x === sub[j]) j++;
  return j === sub.length;
}

test(`SIGKILL ${KILLS} times at random points: every acknowledged entry survives in order`, { timeout: 120_000 }, async (t) => {
  const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`CRASH_SEED=${seed}`);
  const rand = seededRandom(seed);
  const dir = fs.mkdtempSync(join(os.tmpdir(), "raft-crash-"));
  const acked: string[] = [];
  let torn = 0;
  try {
    for (let run = 0; run <= KILLS; run++) {
      // Mostly mid-stream; sometimes right after recovery, before any new ack.
      const killAfter = run < KILLS && rand(8) === 0 ? 0 : 1 + rand(300);
      const r = await runChild(dir, run, killAfter);
      if (r.tornTail) torn++;
      const msg = `seed ${seed}, run ${run}`;
      assert.equal(new Set(r.recovered).size, r.recovered.length, `${msg}: duplicate entries after recovery`);
      assert.ok(isSubsequence(acked, r.recovered), `${msg}: an acknowledged entry is missing or out of order after recovery`);
      if (killAfter > 0) assert.ok(r.acks.length >= killAfter, `${msg}: proposing did not continue after recovery`);
      acked.push(...r.acks);

      // With the child dead, the files on disk must verify (a torn tail is allowed; damage is not).
      const snap = SnapshotStore.open(join(dir, "snap")).loadNewest().snapshot;
      const v = Wal.verify(join(dir, "wal"), snap ? { snapshot: snap.meta } : {});
      const last = v.entries.at(-1)?.index ?? snap?.meta.index ?? 0;
      assert.ok(last >= (snap?.meta.index ?? 0), `${msg}: WAL ends below the snapshot`);
    }
    t.diagnostic(`${acked.length} acknowledged entries over ${KILLS} kills; ${torn} recoveries truncated a torn tail`);
    assert.ok(acked.length > KILLS, "the test must acknowledge entries to mean anything");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
