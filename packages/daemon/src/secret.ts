import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * Secret bytes that refuse to be printed: JSON, string conversion and
 * util.inspect all render "[redacted]", so a secret that strays into a log
 * line or an error's details leaks nothing. Call `expose()` only where the
 * bytes are consumed (key derivation, MAC).
 */
export class Secret {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = Uint8Array.from(bytes);
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** A copy, so callers cannot mutate the held value. */
  expose(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
