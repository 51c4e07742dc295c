import { DaemonError } from "./errors.js";

/** Secret files are tiny; anything larger is the wrong file and is refused before it is read. */
export const SECRET_FILE_MAX_BYTES = 4096;

export interface SecretSource {
  /** The env variable (or flag) that pointed at the file, e.g. "ATELIER_BLS_SECRET_FILE". */
  readonly name: string;
  readonly path: string;
}

/**
 * Decodes a secret file's text: `expectedBytes` bytes as hex, optionally
 * `0x`-prefixed, surrounded by whitespace (so `openssl rand -hex 32 > f` and
 * `builder gen-secret --out f` both qualify). Error messages give lengths and
 * offsets, never content.
 */
export function parseSecretText(text: string, source: SecretSource, expectedBytes = 32): Uint8Array {
  let hex = text.trim();
  if (hex.startsWith("0x") || hex.startsWith("0X")) hex = hex.slice(2);
  const where = `${source.name}: secret file '${source.path}'`;
  if (hex.length === 0) {
    throw new DaemonError("DAEMON_SECRET_MALFORMED", `${where} is empty; expected ${expectedBytes * 2} hex characters (${expectedBytes} bytes), e.g. from \`builder gen-secret --out ${source.path}\``, {
      name: source.name,
      path: source.path,
    });
  }
  const bad = hex.search(/[^0-9a-fA-F]/);
  if (bad !== -1) {
    throw new DaemonError("DAEMON_SECRET_MALFORMED", `${where} holds a non-hex character at offset ${bad}; expected ${expectedBytes * 2} hex characters (${expectedBytes} bytes)`, {
      name: source.name,
      path: source.path,
      offset: bad,
    });
  }
  if (hex.length !== expectedBytes * 2) {
    throw new DaemonError("DAEMON_SECRET_MALFORMED", `${where} holds ${hex.length} hex characters; expected ${expectedBytes * 2} (${expectedBytes} bytes)`, {
      name: source.name,
      path: source.path,
      found: hex.length,
      expected: expectedBytes * 2,
    });
  }
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** The text form writeSecretFile stores: lowercase hex and a newline, the same as `openssl rand -hex`. */
export function formatSecretText(bytes: Uint8Array): string {
  return `${Buffer.from(bytes).toString("hex")}\n`;
}

/** "0644"-style rendering used in permission messages (as ssh prints them). */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/** Group or other may read, write or execute: ssh's rule for private keys. */
export function isModeTooOpen(mode: number): boolean {
  return (mode & 0o077) !== 0;
}
