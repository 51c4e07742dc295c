// Promises that settle when a condition over the node's status holds, or
// time out. Checked after every Ready, so they observe each state change.

import type { NodeId, RaftStatus, Role } from "../types.js";
import { timeout } from "./errors.js";

export interface WhenCondition {
  /** A specific leader, or `true` for "any leader is known". */
  readonly leader?: NodeId | true;
  readonly role?: Role;
  readonly committed?: number;
  readonly applied?: number;
  /** `id` is a voter in the applied configuration. */
  readonly voter?: NodeId;
}

export function holds(c: WhenCondition, s: RaftStatus): boolean {
  if (c.leader !== undefined && (c.leader === true ? s.leader === null : s.leader !== c.leader)) return false;
  if (c.role !== undefined && s.role !== c.role) return false;
  if (c.committed !== undefined && s.commit < c.committed) return false;
  if (c.applied !== undefined && s.applied < c.applied) return false;
  if (c.voter !== undefined && !s.conf.voters.includes(c.voter)) return false;
  return true;
}

interface Waiter {
  readonly cond: WhenCondition;
  readonly resolve: (s: RaftStatus) => void;
  readonly reject: (e: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

export class Waiters {
  private readonly list = new Set<Waiter>();

  add(cond: WhenCondition, timeoutMs: number, status: () => RaftStatus): Promise<RaftStatus> {
    const now = status();
    if (holds(cond, now)) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        cond,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.list.delete(w);
          const s = status();
          reject(timeout(`condition ${JSON.stringify(cond)}`, timeoutMs, { role: s.role, leader: s.leader, commit: s.commit, applied: s.applied, term: s.term }));
        }, timeoutMs),
      };
      this.list.add(w);
    });
  }

  /** Takes a thunk: building a status costs allocations, and most loop turns have no waiter. */
  check(status: () => RaftStatus): void {
    if (this.list.size === 0) return;
    const s = status();
    for (const w of this.list) {
      if (holds(w.cond, s)) {
        clearTimeout(w.timer);
        this.list.delete(w);
        w.resolve(s);
      }
    }
  }

  rejectAll(err: unknown): void {
    for (const w of this.list) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.list.clear();
  }
}
