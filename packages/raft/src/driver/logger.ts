// pino-compatible shape (context object first), so the daemon passes a pino
// child logger and this package never imports pino.
export interface RaftLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const noop = (): void => {};
export const silentRaftLogger: RaftLogger = { debug: noop, info: noop, warn: noop, error: noop };
