// (Pre)candidate: count votes; a leader of our term makes us follow it.
import type { Message } from "../types.js";
import type { Raft } from "./raft.js";

export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case "append":
      r.becomeFollower(m.term, m.from);
      r.handleAppend(m);
      return;
    case "heartbeat":
      r.becomeFollower(m.term, m.from);
      r.handleHeartbeat(m);
      return;
    case "snapshot":
      r.becomeFollower(m.term, m.from);
      r.handleSnapshot(m);
      return;
    case "preVoteResp":
    case "voteResp": {
      const mine = r.role === "preCandidate" ? "preVoteResp" : "voteResp";
      if (m.type !== mine) return;
      const result = r.poll(m.from, !m.reject);
      if (result === "won") {
        if (r.role === "preCandidate") r.campaign("election", false);
        else r.becomeLeader();
      } else if (result === "lost") {
        r.becomeFollower(r.term, null);
      }
      return;
    }
    default:
      return;
  }
}
