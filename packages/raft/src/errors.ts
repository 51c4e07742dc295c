// Typed errors of the Raft package. Every error carries an area-prefixed
// `code` plus structured fields so callers can branch on it and log it as
// JSON; the message names what was received, what was expected and the fix.
import type { NodeId } from "./types.js";

export type RaftErrorCode =
  | "RAFT_PROPOSAL_DROPPED"
  | "RAFT_COMPACTED"
  | "RAFT_UNAVAILABLE"
  | "RAFT_SNAPSHOT_OUT_OF_DATE"
  | "RAFT_CODEC"
  | "RAFT_CONFIG"
  | "RAFT_CONF_CHANGE"
  | "RAFT_STORAGE"
  | "RAFT_INVARIANT";

export class RaftError extends Error {
  readonly code: RaftErrorCode;
  /** Whether retrying the same operation later may succeed. */
  readonly temporary: boolean;
  constructor(code: RaftErrorCode, message: string, opts: { temporary?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "RaftError";
    this.code = code;
    this.temporary = opts.temporary ?? false;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, temporary: this.temporary };
  }
}

export type ProposalDropReason = "notLeader" | "transferring" | "confChangePending" | "tooLarge";

/**
 * The proposal was not appended anywhere; it is safe to retry, at `leader`
 * when one is known.
 */
export class ProposalDroppedError extends RaftError {
  readonly reason: ProposalDropReason;
  readonly leader: NodeId | null;
  constructor(reason: ProposalDropReason, leader: NodeId | null, detail = "") {
    const why: Record<ProposalDropReason, string> = {
      notLeader:
        leader === null
          ? "this node is not the leader and no leader is known (election in progress); retry shortly"
          : `this node is not the leader; retry at leader ${leader}`,
      transferring: "leadership is being transferred; retry at the new leader once the transfer completes",
      confChangePending: "a membership change is already pending; retry after it has been applied (Raft dissertation §4.1: one at a time)",
      tooLarge: "the proposal is larger than the configured limit",
    };
    super("RAFT_PROPOSAL_DROPPED", `Proposal dropped: ${why[reason]}${detail ? ` (${detail})` : ""}.`, { temporary: reason !== "tooLarge" });
    this.name = "ProposalDroppedError";
    this.reason = reason;
    this.leader = leader;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason, leader: this.leader };
  }
}

/** Requested index is below storage.firstIndex(): it was compacted into a snapshot. */
export class CompactedError extends RaftError {
  readonly index: number;
  readonly firstIndex: number;
  constructor(index: number, firstIndex: number) {
    super("RAFT_COMPACTED", `Log index ${index} was compacted; the first available index is ${firstIndex}. Send the snapshot instead.`);
    this.name = "CompactedError";
    this.index = index;
    this.firstIndex = firstIndex;
  }
}

/** Requested index is above storage.lastIndex(). */
export class UnavailableError extends RaftError {
  readonly index: number;
  readonly lastIndex: number;
  constructor(index: number, lastIndex: number) {
    super("RAFT_UNAVAILABLE", `Log index ${index} is not available; the last index is ${lastIndex}.`, { temporary: true });
    this.name = "UnavailableError";
    this.index = index;
    this.lastIndex = lastIndex;
  }
}

/** A snapshot older than what the storage already holds was offered. */
export class SnapshotOutOfDateError extends RaftError {
  readonly index: number;
  readonly currentIndex: number;
  constructor(index: number, currentIndex: number) {
    super("RAFT_SNAPSHOT_OUT_OF_DATE", `Snapshot at index ${index} is older than the current snapshot at index ${currentIndex}; ignore it.`);
    this.name = "SnapshotOutOfDateError";
    this.index = index;
    this.currentIndex = currentIndex;
  }
}

/** Malformed or oversized bytes; names the field and the byte offset. */
export class CodecError extends RaftError {
  readonly what: string;
  readonly field: string;
  readonly offset: number;
  readonly expected: string;
  readonly received: string;
  constructor(what: string, field: string, offset: number, expected: string, received: string) {
    super("RAFT_CODEC", `Cannot decode ${what}: field "${field}" at byte ${offset}: expected ${expected}, received ${received}.`);
    this.name = "CodecError";
    this.what = what;
    this.field = field;
    this.offset = offset;
    this.expected = expected;
    this.received = received;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), what: this.what, field: this.field, offset: this.offset, expected: this.expected, received: this.received };
  }
}

/** Invalid RaftConfig; validated at createRawNode. */
export class ConfigError extends RaftError {
  readonly field: string;
  constructor(field: string, expected: string, received: unknown) {
    super("RAFT_CONFIG", `Invalid RaftConfig.${field}: expected ${expected}, received ${JSON.stringify(received)}.`);
    this.name = "ConfigError";
    this.field = field;
  }
}

/** A membership change that cannot be applied to the current configuration. */
export class ConfChangeError extends RaftError {
  constructor(message: string) {
    super("RAFT_CONF_CHANGE", message);
    this.name = "ConfChangeError";
  }
}

/**
 * A Raft safety invariant would be broken (e.g. a peer asked us to overwrite
 * a committed entry). This means a bug or a peer violating the protocol; the
 * core refuses instead of corrupting its log. Not retryable.
 */
export class RaftInvariantError extends RaftError {
  constructor(message: string) {
    super("RAFT_INVARIANT", `Raft invariant violated: ${message}.`);
    this.name = "RaftInvariantError";
  }
}
