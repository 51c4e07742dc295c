import { pino, type DestinationStream } from "pino";
import type { LogLevel } from "@builder/lattice-config";

export type LogContext = Record<string, unknown>;

/** pino's call shape: context object first, message second (or a bare message). */
export interface LogFn {
  (ctx: LogContext, msg: string): void;
  (msg: string): void;
}

/**
 * The logging surface libraries code against (ADR 0002), so only daemons
 * depend on pino: a pino logger satisfies it, and so does @builder/net's
 * NetLogger shape. Put an Error under `err` to get its message, code and
 * stack serialized.
 */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: LogContext): Logger;
}

/**
 * Keys whose values never reach the output, at the top level and one level
 * down. Second line of defence: loaded secrets are `Secret` objects that
 * already print as "[redacted]".
 */
export const REDACT_PATHS: readonly string[] = [
  "secret",
  "secrets",
  "committeeSecret",
  "peerSecret",
  "secretKey",
  "privateKey",
  "blsSecret",
  "ecdsaSecret",
  "password",
  "token",
  "authorization",
  "headers.authorization",
  "headers.cookie",
].flatMap((p) => [p, `*.${p}`]);

export interface CreateLoggerOptions {
  readonly level: LogLevel;
  /** Fields on every line (lattice, role, member). */
  readonly base?: LogContext;
  /** Defaults to synchronous stdout, so lines written just before process.exit are not lost. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { ...options.base },
      redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** A child logger tagged with the module it serves (one per module, as lodestar does). */
export function moduleLogger(logger: Logger, module: string): Logger {
  return logger.child({ module });
}

/** Discards everything; for libraries constructed without a logger. */
export const nullLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
  child: () => nullLogger,
};
