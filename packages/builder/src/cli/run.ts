import { errorSummary } from "@builder/daemon";
import type { CliIO, CommandSpec } from "./command.js";
import { CliError, EXIT_USAGE } from "./errors.js";
import { renderCommandHelp, renderProgramHelp } from "./help.js";
import { parseCommandArgs } from "./parse.js";
import { closest } from "./suggest.js";

export interface Program {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly CommandSpec[];
}

function codeOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

/**
 * Dispatches argv (without node and script) to a command and returns the
 * exit code. Usage errors print one line and return 2; errors that carry a
 * `code` (typed errors from the libraries) print one line and return 2 for
 * invalid input (LATTICE_*, MANIFEST_* codes), 1 otherwise; only a bug
 * prints a stack.
 */
export async function runCli(program: Program, argv: readonly string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    const cmd = topic === undefined ? undefined : program.commands.find((c) => c.name === topic);
    if (topic !== undefined && cmd === undefined) return usageError(program, io, unknownCommand(program, topic));
    io.stdout(cmd ? renderCommandHelp(program.name, cmd) : renderProgramHelp(program.name, program.summary, program.commands));
    // Bare `builder` is a usage error (nothing was asked), but it still shows the help.
    return first === undefined ? EXIT_USAGE : 0;
  }
  const cmd = program.commands.find((c) => c.name === first);
  if (cmd === undefined) return usageError(program, io, unknownCommand(program, first));
  try {
    const parsed = parseCommandArgs(program.name, cmd, rest);
    if (parsed.kind === "help") {
      io.stdout(renderCommandHelp(program.name, cmd));
      return 0;
    }
    return await cmd.run(parsed.flags, io);
  } catch (err) {
    if (err instanceof CliError) return usageError(program, io, err);
    const code = codeOf(err);
    if (code !== undefined) {
      io.stderr(`${program.name} ${cmd.name}: ${errorSummary(err)}\n`);
      // Invalid input (flags, config values) is a usage error; refusals and I/O failures are not.
      return /^(LATTICE_|MANIFEST_|CLI_)/.test(code) ? EXIT_USAGE : 1;
    }
    throw err;
  }
}

function unknownCommand(program: Program, name: string): CliError {
  const hint = closest(name, program.commands.map((c) => c.name));
  return new CliError("CLI_UNKNOWN_COMMAND", `${program.name}: unknown command '${name}'${hint ? `; did you mean '${hint}'?` : ""} (see ${program.name} --help)`);
}

function usageError(_program: Program, io: CliIO, err: CliError): number {
  io.stderr(`${err.message}\n`);
  return EXIT_USAGE;
}
