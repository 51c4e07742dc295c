// The public surface of @builder/daemon: the process runtime every role shares.
export { DaemonError, isDaemonError, type DaemonErrorCode } from "./errors.js";
export { Secret } from "./secret.js";
export { readSecretFile, writeSecretFile, type ReadSecretFileOptions, type WriteSecretFileOptions, type WriteSecretFileResult } from "./secretFile.js";
export { parseSecretText, formatSecretText, SECRET_FILE_MAX_BYTES } from "./secretText.js";
export { loadDaemonEnv, ensureDataDir, type DaemonEnv, type DaemonSecrets } from "./env.js";
export { createLogger, moduleLogger, nullLogger, REDACT_PATHS, type Logger, type LogFn, type LogContext, type CreateLoggerOptions } from "./logger.js";
export { createDaemonMetrics, METRIC_NAMES, type DaemonMetrics, type CommonLabels, type RaftMetricsSink, type CreateDaemonMetricsOptions } from "./metrics.js";
export { Readiness } from "./readiness.js";
export { startHttpServer, type HttpServerOptions, type RunningHttpServer } from "./httpServer.js";
export { formatListenAddr, type ListenAddr } from "./listenAddr.js";
export { slotAt, slotStartMs, type SlotConfig } from "./slotMath.js";
export { SlotClock, type SlotTick, type SlotListener } from "./slotClock.js";
export { systemTime, ManualTimeSource, type TimeSource } from "./timeSource.js";
export { errorSummary, startupErrorLine, startupExitCode } from "./startupError.js";
export {
  runDaemon,
  realProcessHost,
  SHUTDOWN_BUDGET_MS,
  type DaemonContext,
  type DaemonHandle,
  type ProcessHost,
  type RoleHandle,
  type RoleStart,
  type RunDaemonOptions,
} from "./lifecycle.js";
