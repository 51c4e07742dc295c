import { parseArgs } from "node:util";
import type { CommandSpec, FlagValues } from "./command.js";
import { CliError } from "./errors.js";
import { closest } from "./suggest.js";

export type ParsedInvocation = { readonly kind: "help" } | { readonly kind: "run"; readonly flags: FlagValues };

/**
 * Parses a command's arguments against its spec. node:util parseArgs does the
 * tokenizing; validation is ours so an unknown flag gets a "did you mean"
 * instead of parseArgs' generic message.
 */
export function parseCommandArgs(program: string, cmd: CommandSpec, args: readonly string[]): ParsedInvocation {
  const where = `${program} ${cmd.name}`;
  const seeHelp = `(see ${program} ${cmd.name} --help)`;
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = { help: { type: "boolean" }, h: { type: "boolean" } };
  for (const [name, spec] of Object.entries(cmd.flags)) {
    options[name] = spec.type === "string" ? { type: "string", multiple: spec.multiple === true } : { type: "boolean" };
  }
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean | string[]> = {};
  for (const token of tokens) {
    if (token.kind === "positional") {
      throw new CliError("CLI_UNEXPECTED_ARGUMENT", `${where}: unexpected argument '${token.value}'; this command takes only flags ${seeHelp}`);
    }
    if (token.kind !== "option") continue;
    const name = token.name;
    if (name === "help" || name === "h") return { kind: "help" };
    const spec = cmd.flags[name];
    if (spec === undefined) {
      const hint = closest(name, Object.keys(cmd.flags));
      throw new CliError("CLI_UNKNOWN_FLAG", `${where}: unknown flag ${token.rawName}${hint ? `; did you mean --${hint}?` : ""} ${seeHelp}`);
    }
    if (spec.type === "boolean") {
      if (token.value !== undefined) throw new CliError("CLI_BAD_FLAG_VALUE", `${where}: --${name} is a switch and takes no value (got '${token.value}') ${seeHelp}`);
      values[name] = true;
      continue;
    }
    if (token.value === undefined) throw new CliError("CLI_BAD_FLAG_VALUE", `${where}: --${name} needs a value: --${name} ${spec.valueName} ${seeHelp}`);
    if (spec.multiple) {
      const prev = values[name];
      values[name] = [...(Array.isArray(prev) ? prev : []), token.value];
    } else {
      if (values[name] !== undefined) throw new CliError("CLI_BAD_FLAG_VALUE", `${where}: --${name} given twice ${seeHelp}`);
      values[name] = token.value;
    }
  }
  const missing = Object.entries(cmd.flags)
    .filter(([n, s]) => s.type === "string" && s.required && values[n] === undefined)
    .map(([n]) => `--${n}`);
  if (missing.length > 0) throw new CliError("CLI_MISSING_FLAG", `${where}: missing required flag${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${seeHelp}`);
  return { kind: "run", flags: values };
}
