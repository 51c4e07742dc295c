import type { CommandSpec, FlagSpec } from "./command.js";

const HELP_FLAG: FlagSpec = { type: "boolean", description: "Show this help" };

function flagLeft(name: string, spec: FlagSpec): string {
  if (spec === HELP_FLAG) return "-h, --help";
  return spec.type === "string" ? `--${name} ${spec.valueName}` : `--${name}`;
}

function flagRight(spec: FlagSpec): string {
  const notes: string[] = [];
  if (spec.type === "string") {
    if (spec.required) notes.push("required");
    if (spec.multiple) notes.push("repeatable");
    if (spec.defaultText !== undefined) notes.push(`default: ${spec.defaultText}`);
  }
  return notes.length > 0 ? `${spec.description} (${notes.join("; ")})` : spec.description;
}

function table(rows: [string, string][], indent = "  "): string {
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `${indent}${l.padEnd(width)}   ${r}`).join("\n");
}

export function renderCommandHelp(program: string, cmd: CommandSpec): string {
  const flags = Object.entries({ ...cmd.flags, help: HELP_FLAG });
  const parts = [`${program} ${cmd.name} — ${cmd.summary}`, "", `Usage: ${program} ${cmd.name} [flags]`];
  if (cmd.description) parts.push("", cmd.description.trim());
  parts.push("", "Flags:", table(flags.map(([n, s]) => [flagLeft(n, s), flagRight(s)])));
  if (cmd.examples.length > 0) {
    parts.push("", "Examples:");
    for (const ex of cmd.examples) parts.push(`  # ${ex.description}`, `  ${ex.command}`);
  }
  return `${parts.join("\n")}\n`;
}

export function renderProgramHelp(program: string, summary: string, commands: readonly CommandSpec[]): string {
  const parts = [
    `${program} — ${summary}`,
    "",
    `Usage: ${program} <command> [flags]`,
    "",
    "Commands:",
    table(commands.map((c) => [c.name, c.summary])),
    "",
    `Run '${program} <command> --help' for a command's flags and examples.`,
  ];
  return `${parts.join("\n")}\n`;
}
