export { builderProgram } from "./program.js";
export { runCli, type Program } from "./cli/run.js";
export type { CliIO, CommandSpec, FlagSpec, FlagValues, Example } from "./cli/command.js";
export { CliError, EXIT_USAGE, type CliErrorCode } from "./cli/errors.js";
export { genConfigInput, devImageMeasurement, configSummary } from "./commands/genConfig.js";
export { readyOnlyRole } from "./roles/readyOnlyRole.js";
export * from "./local/index.js";
