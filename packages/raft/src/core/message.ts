// Message construction: every field has its zero value unless given, so the
// codec sees one fixed shape (types.ts: "Fields not used by a type are left
// at their zero value").
import type { Message, MessageType, NodeId } from "../types.js";

export const EMPTY = new Uint8Array(0);
/** vote/preVote context marking a leader-transfer campaign, which bypasses the leader lease (Raft dissertation §3.10). */
export const TRANSFER_CONTEXT = new TextEncoder().encode("raft:transfer");

export type MessageFields = Partial<Message> & { readonly type: MessageType; readonly to: NodeId };

export function makeMessage(from: NodeId, term: number, f: MessageFields): Message {
  return {
    type: f.type,
    from,
    to: f.to,
    term: f.term ?? term,
    logTerm: f.logTerm ?? 0,
    index: f.index ?? 0,
    entries: f.entries ?? [],
    commit: f.commit ?? 0,
    reject: f.reject ?? false,
    rejectHint: f.rejectHint ?? 0,
    snapshot: f.snapshot ?? null,
    context: f.context ?? EMPTY,
  };
}

export function isTransferContext(ctx: Uint8Array): boolean {
  if (ctx.length !== TRANSFER_CONTEXT.length) return false;
  for (let i = 0; i < ctx.length; i++) if (ctx[i] !== TRANSFER_CONTEXT[i]) return false;
  return true;
}
