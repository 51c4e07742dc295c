// Every zipnet metric name, declared once (STYLE: libp2p's copy-paste slip is
// why). The node takes a sink, never prom-client: the daemon's named() sink
// (counters and gauges by name) plus an optional histogram observer.

export const ZIPNET_METRICS = {
  /** Gauge, 1 while this server's node runs; label `member` names the server. */
  serverUp: "zipnet_server_up",
  /** Gauge, 1 while the aggregator runs. */
  aggregatorUp: "zipnet_aggregator_up",
  /** Histogram: OpenRound applied → its BroadcastRecord applied, on each server. */
  roundCommitLatency: "zipnet_round_commit_latency_seconds",
  /** Counter: BroadcastRecords appended to the Broadcasts collection. */
  broadcastsAppended: "zipnet_broadcasts_appended_total",
  /** Counter, label `result` = accepted | a FoldRejection | malformed | unknown_client | … */
  clientSubmissions: "zipnet_client_submissions_total",
  /** Counter, label `reason`: envelopes the aggregator refused (same reasons as above). */
  submissionsRejected: "zipnet_client_submissions_rejected_total",
  /** Counter, label `result`: client registrations served (accepted | ignored | rejected reason). */
  clientRegistrations: "zipnet_client_registrations_total",
  /** Counter, label `reason`: commands the committee machine rejected on this member. */
  commandsRejected: "zipnet_commands_rejected_total",
  /** Gauge: 1 while the live round is past its deadline without all partials. */
  roundStalled: "zipnet_round_stalled",
  /** Gauge: the newest round this node saw opened. */
  liveRound: "zipnet_live_round",
  /** Counter: rounds abandoned (a newer round opened before they finalized). */
  roundsAbandoned: "zipnet_rounds_abandoned_total",
  /** Gauge, on the leader: servers that have not announced their key for the epoch the next round needs (rounds wait). */
  epochKeysMissing: "zipnet_epoch_keys_missing",
  /** Gauge: 1 while this server holds no pad chains for the live epoch (lost its key; serves again from the next epoch). */
  epochSittingOut: "zipnet_epoch_sitting_out",
} as const;

// A round should finalize within its deadline: 950 ms interactive, 29 s
// archival; the top buckets catch rounds that only just made it.
export const ROUND_LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 0.95, 1.5, 3, 10, 29, 60] as const;

export type MetricLabels = Readonly<Record<string, string>>;

/** Structurally the daemon's `metrics.named()` and @builder/net's NetMetrics, plus histograms. */
export interface ZipnetMetricsSink {
  inc(name: string, labels?: MetricLabels, value?: number): void;
  set(name: string, value: number, labels?: MetricLabels): void;
  /** Histogram observation; a sink without histograms may omit it. */
  observe?(name: string, value: number, labels?: MetricLabels): void;
}
