// Linearizable reads (ReadIndex, Raft dissertation §6.4): a read is issued to
// the core with a unique context, confirmed when a ReadState with that
// context arrives (the leader's commit index at the time, checked by a
// heartbeat quorum), and served once this member has applied that index.

import type { NodeId, ReadState } from "../types.js";
import { RaftDriverError, timeout } from "./errors.js";

interface PendingRead {
  /** Confirmed read index (-1 until confirmed). */
  index: number;
  /** drain round in which the core got the request (-1: not yet). */
  round: number;
  readonly resolve: (r: { index: number }) => void;
  readonly reject: (e: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

export class PendingReads {
  private readonly unconfirmed = new Map<string, PendingRead>();
  private readonly confirmed: PendingRead[] = [];
  private seq = 0;

  constructor(private readonly id: NodeId) {}

  /**
   * Registers a read and returns its context plus `issued(round)`, to call
   * when the core takes the request, and `failed(err)` if it refuses it.
   */
  start(
    timeoutMs: number,
    leader: () => NodeId | null,
  ): { promise: Promise<{ index: number }>; context: Uint8Array; issued: (round: number) => void; failed: (err: unknown) => void } {
    const context = new TextEncoder().encode(`${this.id}/read/${++this.seq}`);
    const key = hex(context);
    let pr!: PendingRead;
    const promise = new Promise<{ index: number }>((resolve, reject) => {
      pr = {
        index: -1,
        round: -1,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.unconfirmed.delete(key);
          const i = this.confirmed.indexOf(pr);
          if (i >= 0) this.confirmed.splice(i, 1);
          reject(timeout("a ReadIndex confirmation", timeoutMs, { id: this.id, leader: leader() }));
        }, timeoutMs),
      };
    });
    this.unconfirmed.set(key, pr);
    return {
      promise,
      context,
      issued: (round) => {
        pr.round = round;
      },
      failed: (err) => {
        clearTimeout(pr.timer);
        this.unconfirmed.delete(key);
        pr.reject(err);
      },
    };
  }

  confirm(states: readonly ReadState[]): void {
    for (const rs of states) {
      const key = hex(rs.context);
      const pr = this.unconfirmed.get(key);
      if (!pr) continue;
      this.unconfirmed.delete(key);
      pr.index = rs.index;
      this.confirmed.push(pr);
    }
  }

  /**
   * A request not yet confirmed when the leader changes may have died with
   * the old leader's queue: fail it now (retryable) rather than at its
   * timeout. Requests handed to the core in `round` were issued under the
   * new leadership and stay. Confirmed reads stay valid: their index was committed.
   */
  abortUnconfirmed(leader: NodeId | null, round: number): void {
    for (const [key, pr] of this.unconfirmed) {
      if (pr.round < 0 || pr.round === round) continue;
      clearTimeout(pr.timer);
      this.unconfirmed.delete(key);
      pr.reject(
        new RaftDriverError(
          "RAFT_READ_ABORTED",
          `Read on ${this.id} aborted: leadership changed before the read index was confirmed${leader ? ` (leader now ${leader})` : " (no leader yet)"}; retry the read.`,
          { id: this.id, leader },
          true,
        ),
      );
    }
  }

  /** Serves every confirmed read whose index this member has applied. */
  settle(applied: number): void {
    for (let i = 0; i < this.confirmed.length; ) {
      const pr = this.confirmed[i]!;
      if (pr.index <= applied) {
        clearTimeout(pr.timer);
        this.confirmed.splice(i, 1);
        pr.resolve({ index: pr.index });
      } else i++;
    }
  }

  failAll(err: unknown): void {
    for (const pr of [...this.unconfirmed.values(), ...this.confirmed]) {
      clearTimeout(pr.timer);
      pr.reject(err);
    }
    this.unconfirmed.clear();
    this.confirmed.length = 0;
  }
}
