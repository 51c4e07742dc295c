// An in-process network for tests and the benchmark: every member's
// transport is a port on one hub. Messages go through the wire codec (so a
// codec bug shows up here, and no object is shared between members) and are
// delivered on a later macrotask, never re-entrantly.

import { decodeMessage, encodeMessage } from "../codec.js";
import type { Message, NodeId } from "../types.js";
import type { RaftTransport } from "./transport.js";

export interface LocalNetworkOptions {
  /** Round-trip messages through encodeMessage/decodeMessage. Default true. */
  readonly encode?: boolean;
}

export class LocalNetwork {
  private readonly handlers = new Map<NodeId, (m: Message) => void>();
  private readonly isolated = new Set<NodeId>();
  private readonly encode: boolean;
  /** Test hook: return false to drop a message. */
  filter: ((m: Message) => boolean) | null = null;
  delivered = 0;
  dropped = 0;

  constructor(opts: LocalNetworkOptions = {}) {
    this.encode = opts.encode ?? true;
  }

  transport(id: NodeId): RaftTransport {
    return {
      send: (msgs) => this.send(id, msgs),
      onMessage: (handler) => {
        this.handlers.set(id, handler);
        return () => {
          if (this.handlers.get(id) === handler) this.handlers.delete(id);
        };
      },
    };
  }

  /** Cuts `id` off from everyone (both directions) until heal(id). */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  heal(id: NodeId): void {
    this.isolated.delete(id);
  }

  private send(from: NodeId, msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    const batch = msgs.map((m) => (this.encode ? encodeMessage(m) : m));
    setImmediate(() => {
      for (const raw of batch) {
        const m = raw instanceof Uint8Array ? decodeMessage(raw) : raw;
        const h = this.handlers.get(m.to);
        if (!h || this.isolated.has(from) || this.isolated.has(m.to) || (this.filter && !this.filter(m))) {
          this.dropped++;
          continue;
        }
        this.delivered++;
        h(m);
      }
    });
  }
}
