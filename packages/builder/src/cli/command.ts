/** Where a command writes; the bin binds it to the process, tests to buffers. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface StringFlag {
  readonly type: "string";
  readonly description: string;
  /** Shown in help: `--out FILE`. */
  readonly valueName: string;
  /** Shown in help; the command applies it (defaults often live in the library, e.g. assembleLatticeConfig). */
  readonly defaultText?: string;
  /** May be given more than once; the value is then a string[]. */
  readonly multiple?: boolean;
  readonly required?: boolean;
}

export interface BooleanFlag {
  readonly type: "boolean";
  readonly description: string;
}

export type FlagSpec = StringFlag | BooleanFlag;

export type FlagValue = string | boolean | string[] | undefined;
export type FlagValues = Readonly<Record<string, FlagValue>>;

export interface Example {
  readonly description: string;
  readonly command: string;
}

/** A command as data: help, parsing and docs derive from this (lodestar cli's pattern). */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Longer text under the usage line; paragraphs separated by blank lines. */
  readonly description?: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly examples: readonly Example[];
  /** Returns the exit code. Throw CliError for usage mistakes, typed errors for the rest. */
  run(flags: FlagValues, io: CliIO): Promise<number>;
}

export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

export function stringListFlag(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

export function booleanFlag(flags: FlagValues, name: string): boolean {
  return flags[name] === true;
}
