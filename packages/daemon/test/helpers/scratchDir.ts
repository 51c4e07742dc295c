import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];
// Each test file runs in its own process: its scratch directories go when it exits, passed or failed.
process.once("exit", () => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh directory under the system temp dir, removed when the test process exits. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
