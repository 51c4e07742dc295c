// A role executable as operators run it: the compiled bin from `pnpm build`
// (what builder@<role>.service starts), with its env, waited on by its log.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { RoleName } from "@builder/lattice-config";
import { REPO_ROOT } from "./repo.js";

export interface RoleProcess {
  readonly role: RoleName;
  readonly proc: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  /** Resolves with the first stdout line that satisfies `match`. */
  waitForLine(what: string, match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<number | null>;
}

export function roleBin(role: RoleName): string {
  const bin = join(REPO_ROOT, "packages/builder/dist/bin", `${role}.js`);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm build first (pnpm test:e2e does)`);
  return bin;
}

export function startRole(role: RoleName, env: Record<string, string>): RoleProcess {
  const proc = spawn(process.execPath, [roleBin(role)], { env: { PATH: process.env["PATH"] ?? "", ...env } });
  const lines: string[] = [];
  const waiters = new Set<{ match: (l: string) => boolean; resolve: (l: string) => void }>();
  createInterface({ input: proc.stdout }).on("line", (l) => {
    lines.push(l);
    for (const w of waiters) if (w.match(l)) (waiters.delete(w), w.resolve(l));
  });
  let stderr = "";
  proc.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return {
    role,
    proc,
    lines,
    exited,
    waitForLine(what, match, timeoutMs = 30_000) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (l: string) => (clearTimeout(timer), resolve(l)) };
        const timer = setTimeout(() => (waiters.delete(w), reject(new Error(`${role}: no log line ${what} within ${timeoutMs} ms; stderr: ${stderr}`))), timeoutMs);
        waiters.add(w);
        void exited.then((code) => {
          if (waiters.delete(w)) (clearTimeout(timer), reject(new Error(`${role} exited (${code}) before logging ${what}; stderr: ${stderr}`)));
        });
      });
    },
  };
}
