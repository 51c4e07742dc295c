// Typed errors of the durable storage. Each carries a `code` (for metrics
// labels and JSON logs) and the structured fields a reader needs to find the
// bad bytes: which file, which offset, what was expected.

export type StorageErrorCode =
  | "RAFT_WAL_CORRUPT"
  | "RAFT_WAL_GAP"
  | "RAFT_WAL_SNAPSHOT_MISSING"
  | "RAFT_WAL_CLOSED"
  | "RAFT_WAL_RECORD_TOO_LARGE"
  | "RAFT_WAL_LOCKED"
  | "RAFT_SNAPSHOT_CORRUPT"
  | "RAFT_SNAPSHOT_TOO_LARGE"
  | "RAFT_STORAGE_INVALID_OPTION";

export class RaftStorageError extends Error {
  override readonly name = "RaftStorageError";
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    const context = Object.entries(details)
      .map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join("\n");
    super(context ? `${message}\n\n${context}` : message, options);
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

/**
 * A record that fails its checksum (or does not parse) with valid records
 * after it: acknowledged data was damaged on disk. Never truncated
 * automatically, because truncating would silently drop the valid records
 * behind it.
 */
export class WalCorruptError extends RaftStorageError {
  constructor(
    readonly segment: string,
    readonly offset: number,
    reason: string,
    extra: Record<string, unknown> = {},
  ) {
    super(
      "RAFT_WAL_CORRUPT",
      `WAL data corruption in ${segment} at byte ${offset}: ${reason}. Valid records follow the damaged one, so this is not a torn write; restore this member from a peer (remove its data dir and let the leader send a snapshot) instead of truncating.`,
      { segment, offset, reason, ...extra },
    );
  }
}

export function invalidOption(name: string, value: unknown, expected: string): RaftStorageError {
  return new RaftStorageError(
    "RAFT_STORAGE_INVALID_OPTION",
    `Invalid storage option ${name}: got ${JSON.stringify(value)}, expected ${expected}.`,
    { option: name, received: value, expected },
  );
}
