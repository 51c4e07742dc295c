import { randomBytes } from "node:crypto";
import { createLatticeHost, type LatticeHost } from "../src/host.js";
import type { NetLogger } from "../src/logger.js";
import { MemoryMetrics } from "../src/metrics.js";

export interface LogRecord {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

/** A real logger that keeps its records, so tests can assert on what was logged. */
export class RecordingLogger implements NetLogger {
  readonly records: LogRecord[] = [];
  debug(obj: Record<string, unknown>, msg: string): void {
    this.records.push({ level: "debug", obj, msg });
  }
  info(obj: Record<string, unknown>, msg: string): void {
    this.records.push({ level: "info", obj, msg });
  }
  warn(obj: Record<string, unknown>, msg: string): void {
    this.records.push({ level: "warn", obj, msg });
  }
  error(obj: Record<string, unknown>, msg: string): void {
    this.records.push({ level: "error", obj, msg });
  }
}

export interface TestHost extends LatticeHost {
  logs: RecordingLogger;
  mem: MemoryMetrics;
}

export async function startHost(opts: { secret?: Uint8Array; bootstrap?: string[] } = {}): Promise<TestHost> {
  const logs = new RecordingLogger();
  const mem = new MemoryMetrics();
  const host = await createLatticeHost({
    secret: opts.secret ?? randomBytes(32),
    bootstrap: opts.bootstrap ?? [],
    logger: logs,
    metrics: mem,
  });
  return Object.assign(host, { logs, mem });
}

export function addrOf(h: LatticeHost): string {
  const a = h.libp2p.getMultiaddrs()[0];
  if (a === undefined) throw new Error("host has no listen address");
  return a.toString();
}

/** Resolves when `check()` holds, re-evaluated on each emitted event; rejects after `ms`. */
export function waitFor(
  target: { on(e: string, f: () => void): unknown; off(e: string, f: () => void): unknown },
  event: string,
  check: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => {
      target.off(event, listener);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const listener = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      target.off(event, listener);
      resolve();
    };
    target.on(event, listener);
  });
}
