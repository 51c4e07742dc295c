import type { DestinationStream } from "pino";
import { type DaemonEnv, loadDaemonEnv } from "./env.js";
import { type RunningHttpServer, startHttpServer } from "./httpServer.js";
import { type Logger, createLogger, moduleLogger } from "./logger.js";
import { type DaemonMetrics, createDaemonMetrics } from "./metrics.js";
import { Readiness } from "./readiness.js";
import { SlotClock } from "./slotClock.js";
import { errorSummary, startupErrorLine, startupExitCode } from "./startupError.js";
import { type TimeSource, systemTime } from "./timeSource.js";
import type { RoleName } from "@builder/lattice-config";

/** Drain budget after SIGTERM/SIGINT (DESIGN §3.3: exit within 5 s). */
export const SHUTDOWN_BUDGET_MS = 5_000;

/** What a role's start function receives. */
export interface DaemonContext {
  readonly env: DaemonEnv;
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  readonly readiness: Readiness;
  readonly slotClock: SlotClock;
  readonly time: TimeSource;
  /** Aborted when shutdown begins, for work that should stop early. */
  readonly signal: AbortSignal;
  /** Clears the "role" readiness blocker: /readyz answers 200 once no other blocker remains. */
  markReady(): void;
}

export interface RoleHandle {
  /** Drain and release resources; must settle within the shutdown budget. */
  stop(): Promise<void>;
}

export type RoleStart = (ctx: DaemonContext) => Promise<RoleHandle>;

/** The process-level effects runDaemon performs, injectable for in-process tests. */
export interface ProcessHost {
  onSignal(signal: "SIGTERM" | "SIGINT", handler: () => void): void;
  /** An uncaught exception or unhandled rejection: the process state is suspect from here on. */
  onCrash(handler: (err: unknown, origin: string) => void): void;
  exit(code: number): void;
  /** One line to stderr (a newline is appended). */
  stderr(line: string): void;
}

export const realProcessHost: ProcessHost = {
  onSignal: (signal, handler) => {
    process.on(signal, handler);
  },
  onCrash: (handler) => {
    process.on("uncaughtException", (err, origin) => handler(err, origin));
    process.on("unhandledRejection", (reason) => handler(reason, "unhandledRejection"));
  },
  exit: (code) => process.exit(code),
  stderr: (line) => {
    process.stderr.write(`${line}\n`);
  },
};

export interface RunDaemonOptions {
  readonly role: RoleName;
  /** Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly start: RoleStart;
  readonly host?: ProcessHost;
  readonly time?: TimeSource;
  /** Log sink; defaults to synchronous stdout. */
  readonly logDestination?: DestinationStream;
  readonly shutdownBudgetMs?: number;
}

export interface DaemonHandle {
  readonly env: DaemonEnv;
  /** The bound PROMETHEUS_ADDR (host:port); undefined when PROMETHEUS_ADDR is unset. */
  readonly httpAddress: string | undefined;
  /** What a signal triggers: drain, then exit 0 (or 1 on failure or when the budget runs out). */
  shutdown(reason: string): Promise<void>;
}

/**
 * A role process from start to exit: env and secrets, logger, metrics, HTTP
 * endpoints, the role itself, and a graceful-then-forced shutdown on
 * SIGTERM/SIGINT (lodestar's cli/src/util/process.ts pattern). A startup
 * failure prints one line to stderr and exits 2 for configuration errors,
 * 1 otherwise; it resolves to undefined in that case.
 */
export async function runDaemon(options: RunDaemonOptions): Promise<DaemonHandle | undefined> {
  const host = options.host ?? realProcessHost;
  const time = options.time ?? systemTime;
  const budget = options.shutdownBudgetMs ?? SHUTDOWN_BUDGET_MS;
  const { role } = options;

  let env: DaemonEnv;
  let logger: Logger;
  try {
    env = await loadDaemonEnv(role, options.env ?? process.env);
    logger = createLogger({
      level: env.logLevel,
      base: { lattice: env.config.name, role, member: env.member },
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    });
  } catch (err) {
    host.stderr(startupErrorLine(role, err));
    host.exit(startupExitCode(err));
    return undefined;
  }

  const log = moduleLogger(logger, "daemon");
  const metrics = createDaemonMetrics({
    organism: env.organism,
    latticeIdHex: env.latticeIdHex,
    labels: { lattice: env.config.name, chain_id: env.config.chainId.toString(10), organism: env.organism, role, member: env.member },
  });
  const readiness = new Readiness();
  readiness.block("role", "the role has not marked itself ready");
  const slotClock = new SlotClock(env.config.slot, time);
  const abort = new AbortController();

  let http: RunningHttpServer | undefined;
  let roleHandle: RoleHandle | undefined;
  let stopping = false;

  const shutdown = async (reason: string): Promise<void> => {
    if (stopping) {
      log.warn({ reason }, "second shutdown request; exiting without waiting for the drain");
      host.exit(1);
      // Only reached when the host does not end the process (in-process embedding, tests).
      slotClock.stop();
      void http?.close();
      return;
    }
    stopping = true;
    const began = time.now();
    log.info({ reason, budgetMs: budget }, "shutting down");
    readiness.block("shutdown", `draining after ${reason}`);
    metrics.latticeUp.set(0);
    abort.abort();
    const cancelForce = time.setTimer(budget, () => {
      log.error({ budgetMs: budget, elapsedMs: time.now() - began }, "shutdown exceeded its budget; forcing exit");
      host.exit(1);
      slotClock.stop();
      void http?.close();
    });
    let code = 0;
    try {
      await roleHandle?.stop();
    } catch (err) {
      code = 1;
      log.error({ err }, "role stop failed");
    }
    slotClock.stop();
    await http?.close();
    cancelForce();
    log.info({ elapsedMs: time.now() - began, exitCode: code }, "stopped");
    host.exit(code);
  };

  try {
    if (env.prometheusAddr !== undefined) {
      http = await startHttpServer({ listen: env.prometheusAddr, registry: metrics.registry, readiness, logger: moduleLogger(logger, "http") });
    }
    log.info(
      {
        lattice: env.config.name,
        chainId: env.config.chainId.toString(10),
        latticeId: env.latticeIdHex,
        organism: env.organism,
        groupId: env.groupIdHex,
        dataDir: env.dataDir,
        insecureDev: env.config.insecureDev,
        // Tests and tools read the bound port from this line when PROMETHEUS_ADDR asks for port 0.
        httpAddress: http?.address ?? null,
        secretsLoaded: Object.keys(env.secrets),
        logLevel: env.logLevel,
      },
      "starting",
    );
    // Handlers go in before the role starts, so a SIGTERM during a slow start still drains.
    host.onSignal("SIGTERM", () => void shutdown("SIGTERM"));
    host.onSignal("SIGINT", () => void shutdown("SIGINT"));
    // No drain after a crash: whatever threw may have left shared state half-updated, so the
    // safest exit is an immediate one that systemd's Restart=on-failure turns into a clean start.
    host.onCrash((err, origin) => {
      log.fatal({ err, origin }, "crashed; exiting without draining");
      host.stderr(`${role}: crashed (${origin}): ${errorSummary(err)}`);
      host.exit(1);
    });
    slotClock.start();
    roleHandle = await options.start({
      env,
      logger,
      metrics,
      readiness,
      slotClock,
      time,
      signal: abort.signal,
      markReady: () => readiness.unblock("role"),
    });
    if (!stopping) metrics.latticeUp.set(1);
    log.info({ httpAddress: http?.address ?? null }, "started");
  } catch (err) {
    slotClock.stop();
    await http?.close();
    log.fatal({ err }, "startup failed");
    host.stderr(startupErrorLine(role, err));
    host.exit(startupExitCode(err));
    return undefined;
  }
  return { env, httpAddress: http?.address, shutdown };
}
