import { DaemonError } from "./errors.js";

interface ProblemLike {
  readonly field?: unknown;
  readonly variable?: unknown;
  readonly key?: unknown;
  readonly message?: unknown;
}

function codeOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

/**
 * One line for stderr, no stack: "<role>: <CODE>: <message>". Errors that
 * carry a problem list (env, config validation) are folded onto the line so
 * every missing variable is named at once.
 */
export function startupErrorLine(role: string, err: unknown): string {
  return `${role}: ${errorSummary(err)}`;
}

/** "<CODE>: <message>" on one line (problem lists folded in), or just the message without a code. */
export function errorSummary(err: unknown): string {
  const code = codeOf(err);
  let message: string;
  if (err instanceof Error) {
    const problems = (err as { problems?: unknown }).problems;
    if (Array.isArray(problems) && problems.length > 0) {
      const head = (err.message.split("\n")[0] ?? "").replace(/:\s*$/, "");
      const items = (problems as ProblemLike[]).map((p) => {
        const where = p.variable ?? p.field ?? p.key;
        return where === undefined || where === "" ? String(p.message) : `${String(where)}: ${String(p.message)}`;
      });
      message = `${head}: ${items.join("; ")}`;
    } else {
      message = err.message;
    }
  } else {
    message = String(err);
  }
  const flat = message.replace(/\s*\n\s*/g, "; ");
  return `${code ? `${code}: ` : ""}${flat}`;
}

/**
 * Codes that mean "fix the configuration": lattice-config's area prefixes, and
 * by convention any code ending in _CONFIG (an organism's role-level checks,
 * e.g. ZIPNET_ROLE_CONFIG).
 */
const CONFIG_CODE_RE = /^(LATTICE_(CONFIG|ENV|ID)_|MANIFEST_)|_CONFIG$/;

/** 2 for configuration errors (env, secrets, config hex), 1 for everything else. */
export function startupExitCode(err: unknown): number {
  if (err instanceof DaemonError) return err.isConfigError ? 2 : 1;
  const code = codeOf(err);
  return code !== undefined && CONFIG_CODE_RE.test(code) ? 2 : 1;
}
