/**
 * Why the process is not ready, as a set of named blockers. /readyz answers
 * 200 only when the set is empty and lists the blockers otherwise, so an
 * operator sees what is missing without reading logs.
 */
export class Readiness {
  readonly #blockers = new Map<string, string>();

  /** Adds or replaces the blocker `key` with a human reason. */
  block(key: string, reason: string): void {
    this.#blockers.set(key, reason);
  }

  unblock(key: string): void {
    this.#blockers.delete(key);
  }

  get isReady(): boolean {
    return this.#blockers.size === 0;
  }

  /** Blockers in insertion order, as `key: reason`. */
  reasons(): string[] {
    return [...this.#blockers].map(([k, r]) => `${k}: ${r}`);
  }
}
