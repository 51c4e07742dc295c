// Errors the driver hands to callers of propose/read/when. Each says whether
// the outcome is known, because that decides whether a retry is safe.

import type { NodeId } from "../types.js";

export type DriverErrorCode =
  | "RAFT_PROPOSAL_OVERWRITTEN"
  | "RAFT_PROPOSAL_OUTCOME_UNKNOWN"
  | "RAFT_REQUEST_STALE"
  | "RAFT_APPLY_FAILED"
  | "RAFT_STOPPED"
  | "RAFT_TIMEOUT"
  | "RAFT_READ_ABORTED"
  | "RAFT_COMMAND_INVALID"
  | "RAFT_DRIVER_INVALID_OPTION";

export class RaftDriverError extends Error {
  override readonly name = "RaftDriverError";
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    /** Whether the same call may succeed later (possibly at another member). */
    readonly temporary = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, temporary: this.temporary, ...this.details };
  }
}

export function overwritten(index: number, proposedTerm: number, appliedTerm: number, leader: NodeId | null): RaftDriverError {
  return new RaftDriverError(
    "RAFT_PROPOSAL_OVERWRITTEN",
    `Proposal at index ${index} (term ${proposedTerm}) was overwritten after a leader change: the entry committed there has term ${appliedTerm}. It was not applied; retry${leader ? ` at leader ${leader}` : ""}.`,
    { index, proposedTerm, appliedTerm, leader },
    true,
  );
}

export function outcomeUnknown(index: number, why: string): RaftDriverError {
  return new RaftDriverError(
    "RAFT_PROPOSAL_OUTCOME_UNKNOWN",
    `The outcome of the proposal at index ${index} is unknown: ${why}. It may or may not have been applied; retry with the same requestId so it applies at most once.`,
    { index, why },
    true,
  );
}

export function stopped(id: NodeId, what: string): RaftDriverError {
  return new RaftDriverError("RAFT_STOPPED", `Raft node ${id} stopped before the ${what} completed.`, { id, what }, true);
}

export function timeout(what: string, ms: number, details: Record<string, unknown>): RaftDriverError {
  return new RaftDriverError("RAFT_TIMEOUT", `Timed out after ${ms} ms waiting for ${what}.`, { what, timeoutMs: ms, ...details }, true);
}

export function invalidDriverOption(name: string, value: unknown, expected: string): RaftDriverError {
  return new RaftDriverError(
    "RAFT_DRIVER_INVALID_OPTION",
    `Invalid startRaftNode option ${name}: got ${JSON.stringify(value)}, expected ${expected}.`,
    { option: name, received: value, expected },
  );
}
