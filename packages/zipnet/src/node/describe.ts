/** One line for a log field: the error's code and first message line, never a stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const line = err.message.split("\n")[0] ?? "";
    return typeof code === "string" ? `${code}: ${line}` : line;
  }
  return String(err);
}
