// Follower: accept the leader's log and commit index, reset the election
// timer on every contact, campaign immediately on timeoutNow (leader transfer).
import type { Message } from "../types.js";
import type { Raft } from "./raft.js";

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case "append":
      r.electionElapsed = 0;
      r.leader = m.from;
      r.handleAppend(m);
      return;
    case "heartbeat":
      r.electionElapsed = 0;
      r.leader = m.from;
      r.handleHeartbeat(m);
      return;
    case "snapshot":
      r.electionElapsed = 0;
      r.leader = m.from;
      r.handleSnapshot(m);
      return;
    case "timeoutNow":
      // Dissertation §3.10: the transfer target starts an election at once,
      // without pre-vote, and its vote requests bypass the followers' lease.
      r.hup(true);
      return;
    case "readIndexResp":
      r.readStates.push({ index: m.index, context: m.context });
      return;
    default:
      return;
  }
}
