// Committee metric names, declared once; `<org>` is the organism name
// (e.g. "unseal"), as the daemon's common metrics are (DESIGN §3.3).
export function committeeMetrics(org: string) {
  return {
    /** gauge: voters in the applied configuration. */
    size: `${org}_committee_size`,
    /** gauge: members currently admitted (connected and proved the committee secret). */
    admitted: `${org}_committee_admitted_peers`,
    /** gauge{source="bootstrap"|"discovery"}: known committee peers by how we learned their address. */
    upstreamPeers: `${org}_upstream_peers`,
    /** counter{reason}: admission refusals seen by this member (ADMISSION_REFUSAL_REASONS). */
    refusals: `${org}_committee_refusals_total`,
    /** counter{result="ok"|"retry"|"error"}: proposals forwarded to the leader by this member. */
    forwarded: `${org}_committee_forwarded_total`,
    /** gauge: this member's Raft term / leadership / commit / applied index. */
    term: `${org}_raft_term`,
    isLeader: `${org}_raft_is_leader`,
    commitIndex: `${org}_raft_commit_index`,
    appliedIndex: `${org}_raft_applied_index`,
    /** counter{reason}: proposals that failed in the driver. */
    proposalsFailed: `${org}_raft_proposals_failed_total`,
    /** counter: proposals committed and applied on this member. */
    proposalsCommitted: `${org}_raft_proposals_committed_total`,
  } as const;
}
export type CommitteeMetricNames = ReturnType<typeof committeeMetrics>;
