// Majority quorum arithmetic over a fixed voter set (Raft §5.2, §5.3).
import type { NodeId } from "../types.js";

export type VoteResult = "won" | "lost" | "pending";

/** The largest index acknowledged by a majority of voters (0 for an empty set). Cost: O(n log n). */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const m = voters.map(matchOf).sort((a, b) => b - a);
  return m[Math.floor(voters.length / 2)]!;
}

export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const q = Math.floor(voters.length / 2) + 1;
  let granted = 0;
  let missing = 0;
  for (const v of voters) {
    const g = votes.get(v);
    if (g === undefined) missing++;
    else if (g) granted++;
  }
  if (granted >= q) return "won";
  if (granted + missing >= q) return "pending";
  return "lost";
}

export function isQuorum(voters: readonly NodeId[], has: (id: NodeId) => boolean): boolean {
  let n = 0;
  for (const v of voters) if (has(v)) n++;
  return n >= Math.floor(voters.length / 2) + 1;
}
