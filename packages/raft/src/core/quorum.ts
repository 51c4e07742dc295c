// Majority quorum arithmetic over a fixed voter set (Raft §5.2, §5.3).
import type { NodeId } from "../types.js";

export type VoteResult = "won" | "lost" | "pending";

// Scratch for committedIndex: it runs on every acknowledgement a leader
// receives, and an array plus a sort there was a measurable share of the
// leader's garbage. Committees have a handful of voters.
let scratch = new Float64Array(16);

/** The largest index acknowledged by a majority of voters (0 for an empty set). Insertion sort: O(n²) for the few voters of a group, no allocation. */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return 0;
  if (scratch.length < n) scratch = new Float64Array(n);
  const m = scratch;
  // Descending order.
  for (let i = 0; i < n; i++) {
    const v = matchOf(voters[i]!);
    let j = i;
    for (; j > 0 && m[j - 1]! < v; j--) m[j] = m[j - 1]!;
    m[j] = v;
  }
  return m[n >> 1]!;
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
