import type { Message } from "../types.js";

/**
 * What the driver needs from a network: fire-and-forget batches out, single
 * messages in. Raft tolerates loss, duplication and reordering, so send()
 * may drop; it must not block. The libp2p transport implements this too.
 */
export interface RaftTransport {
  send(msgs: readonly Message[]): void;
  /** Registers the (single) inbound handler; returns a function that unregisters it. */
  onMessage(handler: (msg: Message) => void): () => void;
}
