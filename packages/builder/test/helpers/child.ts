import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const POLL_INTERVAL_MS = 25;

/** The repository root: children run from here so `--import tsx` and @builder/polyfill resolve. */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
export const BIN_DIR = fileURLToPath(new URL("../../src/bin/", import.meta.url));

export interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly stdoutLines: string[];
  readonly stderrLines: string[];
  /** Resolves with the first stdout line (existing or future) matching, or rejects at the deadline. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string>;
  /** Exit code (or signal name) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Runs a TypeScript entry point of this package the way the test runner does (from source, through tsx). */
export function spawnTs(script: string, args: readonly string[], env: Record<string, string | undefined>): Child {
  const proc = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "--import", "@builder/polyfill", `${BIN_DIR}${script}`, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env["PATH"], HOME: process.env["HOME"], ...env } as NodeJS.ProcessEnv,
    stdio: "pipe",
  });
  const stdoutLines: string[] = [];
  const stderrLines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  createInterface({ input: proc.stdout }).on("line", (line) => {
    stdoutLines.push(line);
    for (const w of [...waiters]) w(line);
  });
  createInterface({ input: proc.stderr }).on("line", (line) => stderrLines.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    proc.on("exit", (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
  const waitForLine = (match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> => {
    const found = stdoutLines.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        waiters.delete(onLine);
        fn();
      };
      const onLine = (line: string): void => {
        if (match(line)) done(() => resolve(line));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no stdout line ${what} within ${timeoutMs} ms; stderr: ${stderrLines.join(" | ")}`))), timeoutMs);
      waiters.add(onLine);
      void exited.then(({ code }) => done(() => reject(new Error(`process exited (${code}) before printing ${what}; stderr: ${stderrLines.join(" | ")}`))));
    });
  };
  return { proc, stdoutLines, stderrLines, waitForLine, exited };
}

/** Runs a command to completion and returns its output. */
export async function runTs(script: string, args: readonly string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = spawnTs(script, args, env);
  const { code } = await c.exited;
  // readline may deliver the last lines just after exit; wait for the streams to end.
  await Promise.all([new Promise((r) => (c.proc.stdout.readableEnded ? r(null) : c.proc.stdout.on("end", r))), new Promise((r) => (c.proc.stderr.readableEnded ? r(null) : c.proc.stderr.on("end", r)))]);
  return { code, stdout: c.stdoutLines.map((l) => `${l}\n`).join(""), stderr: c.stderrLines.map((l) => `${l}\n`).join("") };
}

/** Polls `probe` until it returns a value, or throws at the deadline with the last failure. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
    // A poll interval, not a synchronisation sleep: the deadline above bounds the wait.
    await delay(POLL_INTERVAL_MS);
  }
}
