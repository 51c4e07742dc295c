// ReadIndex bookkeeping on the leader (Raft dissertation §6.4): each request
// records the commit index when it arrived and becomes safe once a majority
// acknowledged a heartbeat carrying its context, which proves this node was
// still leader after the request arrived. Requests are answered in order:
// a quorum ack for a later context also covers every earlier one.
import type { NodeId } from "../types.js";

export interface ReadRequest {
  readonly index: number;
  /** Node that asked (the leader itself for local reads). */
  readonly from: NodeId;
  readonly context: Uint8Array;
  readonly acks: Set<NodeId>;
}

export function contextKey(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString("hex");
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadRequest>();
  private readonly queue: string[] = [];

  add(index: number, from: NodeId, context: Uint8Array): void {
    const key = contextKey(context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, from, context, acks: new Set() });
    this.queue.push(key);
  }

  /** Records an ack; returns the ack set, or null for an unknown context. */
  ack(from: NodeId, context: Uint8Array): Set<NodeId> | null {
    const r = this.pending.get(contextKey(context));
    if (!r) return null;
    r.acks.add(from);
    return r.acks;
  }

  /** Removes and returns every request up to and including `context`. */
  advance(context: Uint8Array): ReadRequest[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const keys = this.queue.splice(0, at + 1);
    const out: ReadRequest[] = [];
    for (const k of keys) {
      const r = this.pending.get(k);
      this.pending.delete(k);
      if (r) out.push(r);
    }
    return out;
  }

  lastContext(): Uint8Array | null {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? null : this.pending.get(k)!.context;
  }

  size(): number {
    return this.queue.length;
  }

  reset(): void {
    this.pending.clear();
    this.queue.length = 0;
  }
}
