// Exactly-once application of client requests (Raft dissertation §6.3):
// each client numbers its requests; the replicated table remembers the last
// sequence number and its result, so a retry that commits twice applies once.

import { RaftDriverError } from "./errors.js";
import type { DedupeRecord, RequestId } from "./envelope.js";

export class DedupeTable {
  constructor(
    private table: Map<string, DedupeRecord>,
    /** Clients remembered; the least recently applied is forgotten first. Eviction follows apply order, so it is deterministic. */
    private readonly maxClients: number,
  ) {}

  get entries(): ReadonlyMap<string, DedupeRecord> {
    return this.table;
  }

  replace(table: Map<string, DedupeRecord>): void {
    this.table = table;
  }

  /**
   * Applies `run` unless this request was seen: returns the first result for
   * a retry; throws RAFT_REQUEST_STALE for a sequence number below the last
   * one (its result is no longer kept).
   */
  apply<R>(req: RequestId, index: number, run: () => R): R {
    const last = this.table.get(req.clientId);
    if (last && req.seq === last.seq) return last.result as R;
    if (last && req.seq < last.seq) {
      throw new RaftDriverError(
        "RAFT_REQUEST_STALE",
        `Request ${req.clientId}#${req.seq} (index ${index}) is older than the client's last applied request #${last.seq}; its result is no longer kept. Clients must not reuse sequence numbers.`,
        { clientId: req.clientId, seq: req.seq, lastSeq: last.seq, index },
      );
    }
    const result = run();
    this.table.delete(req.clientId);
    this.table.set(req.clientId, { seq: req.seq, result });
    if (this.table.size > this.maxClients) {
      const oldest = this.table.keys().next().value;
      if (oldest !== undefined) this.table.delete(oldest);
    }
    return result;
  }
}
