// Leader: replication with per-follower progress, commit by quorum, ReadIndex
// confirmation, leader transfer (Raft §5.3, §5.4.2; dissertation §3.10, §6.4).
import { CompactedError } from "../errors.js";
import { encodeConfChange } from "../codec.js";
import type { Message, NodeId } from "../types.js";
import { isQuorum } from "./quorum.js";
import type { Raft } from "./raft.js";

/** A learner this close to the leader's last index is promoted (replaceVoter step two). */
const PROMOTE_LAG_ENTRIES = 64;

function sendSnapshot(r: Raft, to: NodeId): boolean {
  const pr = r.progress.get(to)!;
  // Do not ship a snapshot to a peer we have not heard from lately.
  if (!pr.recentActive) return false;
  const snap = r.log.snapshot();
  if (snap.meta.index === 0) return false;
  pr.becomeSnapshot(snap.meta.index);
  r.send({ type: "snapshot", to, snapshot: snap });
  return true;
}

/**
 * Sends the next append to `to` unless its progress is paused. With
 * `sendIfEmpty` false, only sends when there are entries (the pipelining loop).
 * Cost: O(entries sent).
 */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.progress.get(to);
  if (!pr || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  let prevTerm: number;
  let entries;
  try {
    prevTerm = r.log.term(prevIndex);
    entries = pr.next <= r.log.lastIndex() ? r.log.slice(pr.next, r.log.lastIndex() + 1, r.cfg.maxMsgBytes) : [];
  } catch (e) {
    // The follower needs entries we compacted (Raft §7): send the snapshot.
    if (e instanceof CompactedError) return sendSnapshot(r, to);
    throw e;
  }
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({ type: "append", to, index: prevIndex, logTerm: prevTerm, entries, commit: r.log.committed });
  const last = entries[entries.length - 1];
  if (last) pr.sentEntries(last.index);
  else if (pr.state === "probe") pr.probeSent = true;
  return true;
}

export function sendAppend(r: Raft, to: NodeId): void {
  maybeSendAppend(r, to, true);
}

export function bcastAppend(r: Raft): void {
  for (const id of r.peers()) sendAppend(r, id);
}

export function bcastHeartbeat(r: Raft, context: Uint8Array): void {
  for (const id of r.peers()) {
    const pr = r.progress.get(id)!;
    // Never tell a follower to commit past what it is known to hold. `index`
    // carries our tick so the echo tells when the follower's lease began.
    r.send({ type: "heartbeat", to: id, commit: Math.min(pr.match, r.log.committed), index: r.ticks, context });
  }
}

export function sendTimeoutNow(r: Raft, to: NodeId): void {
  r.send({ type: "timeoutNow", to });
}

export function maybeAutoPromote(r: Raft): void {
  if (r.autoPromote.length === 0 || r.pendingConfIndex > r.log.applied || r.leadTransferee !== null) return;
  for (const id of r.autoPromote) {
    const pr = r.progress.get(id);
    if (!pr || !r.learners.includes(id)) continue;
    if (r.log.lastIndex() - pr.match > PROMOTE_LAG_ENTRIES) continue;
    const index = r.appendEntries([{ kind: "conf", data: encodeConfChange({ type: "promoteLearner", node: id }) }]);
    r.pendingConfIndex = index;
    bcastAppend(r);
    return;
  }
}

function handleAppendResp(r: Raft, m: Message): void {
  const pr = r.progress.get(m.from)!;
  if (m.reject) {
    const hint = m.logTerm > 0 ? r.log.findConflictByTerm(m.rejectHint, m.logTerm) : m.rejectHint;
    if (pr.maybeDecrTo(m.index, hint)) {
      if (pr.state === "replicate") pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index)) return;
  if (pr.state === "probe") pr.becomeReplicate();
  else if (pr.state === "snapshot" && pr.match + 1 >= r.log.firstIndex()) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === "replicate") pr.inflights.freeLE(m.index);

  if (r.maybeCommit()) {
    r.onCommitAdvanced();
    bcastAppend(r);
  } else if (wasPaused) {
    sendAppend(r, m.from);
  }
  while (maybeSendAppend(r, m.from, false)) {
    // pipelining: keep sending batches until the inflight window is full
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResp(r: Raft, m: Message): void {
  const pr = r.progress.get(m.from)!;
  pr.probeSent = false;
  // A lost append would otherwise leave a full window paused forever.
  if (pr.state === "replicate" && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) sendAppend(r, m.from);
  if (m.context.length === 0) return;
  const acks = r.readOnly.ack(m.from, m.context);
  if (acks === null || !isQuorum(r.voters, (id) => acks.has(id))) return;
  for (const req of r.readOnly.advance(m.context)) r.respondRead(req.from, req.index, req.context);
}

export function stepLeader(r: Raft, m: Message): void {
  if (m.type === "readIndex") {
    r.handleReadIndex(m.from, m.context);
    return;
  }
  const pr = r.progress.get(m.from);
  if (!pr) return; // not a member (removed, or not yet added here)
  switch (m.type) {
    case "appendResp":
      pr.recentActive = true;
      handleAppendResp(r, m);
      return;
    case "heartbeatResp":
      pr.recentActive = true;
      // The follower promised not to elect anyone else for an election
      // timeout from when it received our heartbeat, which is no earlier than
      // when we sent it: count the lease from the echoed send tick.
      pr.lastAckTick = Math.max(pr.lastAckTick, Math.min(m.index, r.ticks));
      handleHeartbeatResp(r, m);
      return;
    default:
      return; // votes for this term are moot; no other leader can exist in our term
  }
}

export function reportSnapshot(r: Raft, id: NodeId, ok: boolean): void {
  const pr = r.progress.get(id);
  if (r.role !== "leader" || !pr || pr.state !== "snapshot") return;
  if (!ok) pr.pendingSnapshot = 0;
  // Probe after the snapshot; wait for the follower's answer before sending more.
  pr.becomeProbe();
  pr.probeSent = ok;
}

export function reportUnreachable(r: Raft, id: NodeId): void {
  const pr = r.progress.get(id);
  if (r.role === "leader" && pr && pr.state === "replicate") pr.becomeProbe();
}

