import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RaftMetrics } from "@builder/raft";

/** Labels on every series this process exports (prom-client default labels). */
export interface CommonLabels {
  readonly lattice: string;
  readonly chain_id: string;
  readonly organism: string;
  readonly role: string;
  readonly member: string;
}

/** The sink the Raft driver reports to (declared once, in @builder/raft). */
export type RaftMetricsSink = RaftMetrics;

/**
 * The by-name sink libraries that declare their own metric names use
 * (structurally @builder/net's NetMetrics): `inc` makes a counter, `set` a
 * gauge, on first use.
 */
export interface NamedMetricsSink {
  inc(name: string, labels?: Readonly<Record<string, string>>, value?: number): void;
  set(name: string, value: number, labels?: Readonly<Record<string, string>>): void;
}

/** Every metric name the daemon declares, in one place (each string appears only here). */
export const METRIC_NAMES = {
  latticeId: "lattice_id",
  latticeUp: "lattice_up",
  discoveryPeers: "discovery_peers_total",
  memberUp: (org: string) => `${org}_member_up`,
  committeeSize: (org: string) => `${org}_committee_size`,
  upstreamPeers: (org: string) => `${org}_upstream_peers`,
  commitsPerSlot: (org: string) => `${org}_commits_per_slot`,
  memberTdxAttested: (org: string) => `${org}_member_tdx_attested`,
  raftTerm: "raft_term",
  raftIsLeader: "raft_is_leader",
  raftCommitIndex: "raft_commit_index",
  raftAppliedIndex: "raft_applied_index",
  raftProposalsCommitted: "raft_proposals_committed_total",
  raftProposalsFailed: "raft_proposals_failed_total",
  raftCommitLatency: "raft_commit_latency_seconds",
  raftFsyncLatency: "raft_fsync_latency_seconds",
  raftSnapshots: "raft_snapshots_total",
  raftSnapshotDuration: "raft_snapshot_duration_seconds",
} as const;

// Commit latency spans one round trip plus an fsync on loopback (~1 ms) up
// to the 800 ms default auction window: past that a slot's work is late.
const COMMIT_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5];
// fsync on SSD is ~0.1–2 ms; the upper buckets catch stalls on busy disks.
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];
// Snapshots copy the state machine: from milliseconds to seconds for large pools.
const SNAPSHOT_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];

export interface DaemonMetrics {
  readonly registry: Registry;
  readonly latticeUp: Gauge;
  readonly discoveryPeers: Gauge;
  readonly memberUp: Gauge;
  readonly committeeSize: Gauge;
  readonly upstreamPeers: Gauge<"source">;
  readonly commitsPerSlot: Gauge;
  readonly memberTdxAttested: Gauge<"member">;
  /** The Raft sink for the committee's log; the same object on every call. */
  raft(): RaftMetricsSink;
  /**
   * A sink for libraries that name their own metrics (e.g. @builder/net's
   * NET_METRICS): each name is registered on first use with the label names
   * of that first call; later calls must use the same label names. A name the
   * daemon already declared (discovery_peers_total) feeds the same series.
   */
  named(): NamedMetricsSink;
}

export interface CreateDaemonMetricsOptions {
  readonly labels: CommonLabels;
  /** Organism name used as the metric prefix, e.g. "atelier". */
  readonly organism: string;
  readonly latticeIdHex: string;
  /** Include Node's process metrics (event-loop lag, heap, GC). Default true. */
  readonly processMetrics?: boolean;
}

export function createDaemonMetrics(options: CreateDaemonMetricsOptions): DaemonMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ ...options.labels });
  if (options.processMetrics ?? true) {
    // Includes nodejs_eventloop_lag_seconds and the monitorEventLoopDelay percentiles.
    collectDefaultMetrics({ register: registry });
  }
  const org = options.organism;
  const registers = [registry];

  const latticeId = new Gauge({ name: METRIC_NAMES.latticeId, help: "Always 1; the label carries the lattice id (blake3 of the canonical LatticeConfig)", labelNames: ["lattice_id_hex"], registers });
  latticeId.set({ lattice_id_hex: options.latticeIdHex }, 1);

  const latticeUp = new Gauge({ name: METRIC_NAMES.latticeUp, help: "1 while the role is started and not draining", registers });
  latticeUp.set(0);
  const discoveryPeers = new Gauge({ name: METRIC_NAMES.discoveryPeers, help: "Peers currently known through discovery", registers });
  discoveryPeers.set(0);
  const memberUp = new Gauge({ name: METRIC_NAMES.memberUp(org), help: `1 while this ${org} member is running`, registers });
  memberUp.set(0);
  const committeeSize = new Gauge({ name: METRIC_NAMES.committeeSize(org), help: `Members in the ${org} committee`, registers });
  const upstreamPeers = new Gauge({ name: METRIC_NAMES.upstreamPeers(org), help: `Connected peers per upstream collection this ${org} member reads`, labelNames: ["source"], registers });
  const commitsPerSlot = new Gauge({ name: METRIC_NAMES.commitsPerSlot(org), help: `Entries the ${org} committee committed in the last completed slot`, registers });
  const memberTdxAttested = new Gauge({
    name: METRIC_NAMES.memberTdxAttested(org),
    help: `1 when the ${org} committee member's TDX attestation verified (the member label names the observed member)`,
    labelNames: ["member"],
    registers,
  });

  let raftSink: RaftMetricsSink | undefined;
  const raft = (): RaftMetricsSink => {
    raftSink ??= createRaftSink(registry);
    return raftSink;
  };

  const named = createNamedSink(registry);
  return { registry, latticeUp, discoveryPeers, memberUp, committeeSize, upstreamPeers, commitsPerSlot, memberTdxAttested, raft, named: () => named };
}

function createNamedSink(registry: Registry): NamedMetricsSink {
  const labelNames = (labels?: Readonly<Record<string, string>>): string[] => Object.keys(labels ?? {}).sort();
  const counter = (name: string, labels?: Readonly<Record<string, string>>): Counter<string> => {
    const existing = registry.getSingleMetric(name);
    if (existing instanceof Counter) return existing;
    if (existing !== undefined) throw new TypeError(`metric ${name} is registered as another type; inc() needs a counter`);
    return new Counter({ name, help: `${name} (declared by a library)`, labelNames: labelNames(labels), registers: [registry] });
  };
  const gauge = (name: string, labels?: Readonly<Record<string, string>>): Gauge<string> => {
    const existing = registry.getSingleMetric(name);
    if (existing instanceof Gauge) return existing;
    if (existing !== undefined) throw new TypeError(`metric ${name} is registered as another type; set() needs a gauge`);
    return new Gauge({ name, help: `${name} (declared by a library)`, labelNames: labelNames(labels), registers: [registry] });
  };
  return {
    inc: (name, labels, value = 1) => {
      const c = counter(name, labels);
      if (labels === undefined) c.inc(value);
      else c.inc(labels, value);
    },
    set: (name, value, labels) => {
      const g = gauge(name, labels);
      if (labels === undefined) g.set(value);
      else g.set(labels, value);
    },
  };
}

function createRaftSink(registry: Registry): RaftMetricsSink {
  const registers = [registry];
  const term = new Gauge({ name: METRIC_NAMES.raftTerm, help: "Current Raft term", registers });
  const isLeader = new Gauge({ name: METRIC_NAMES.raftIsLeader, help: "1 while this member leads its committee", registers });
  const commitIndex = new Gauge({ name: METRIC_NAMES.raftCommitIndex, help: "Highest committed log index", registers });
  const appliedIndex = new Gauge({ name: METRIC_NAMES.raftAppliedIndex, help: "Highest log index applied to the state machine", registers });
  const committed = new Counter({ name: METRIC_NAMES.raftProposalsCommitted, help: "Proposals from this member that committed", registers });
  const failed = new Counter({ name: METRIC_NAMES.raftProposalsFailed, help: "Proposals from this member that failed, by reason", labelNames: ["reason"], registers });
  const commitLatency = new Histogram({ name: METRIC_NAMES.raftCommitLatency, help: "Propose-to-commit latency", buckets: COMMIT_LATENCY_BUCKETS, registers });
  const fsyncLatency = new Histogram({ name: METRIC_NAMES.raftFsyncLatency, help: "WAL fsync latency", buckets: FSYNC_BUCKETS, registers });
  const snapshots = new Counter({ name: METRIC_NAMES.raftSnapshots, help: "Snapshots taken or installed", labelNames: ["kind"], registers });
  const snapshotDuration = new Histogram({ name: METRIC_NAMES.raftSnapshotDuration, help: "Time to take or install a snapshot", labelNames: ["kind"], buckets: SNAPSHOT_BUCKETS, registers });
  return {
    term: (v) => term.set(v),
    isLeader: (b) => isLeader.set(b ? 1 : 0),
    commitIndex: (v) => commitIndex.set(v),
    appliedIndex: (v) => appliedIndex.set(v),
    proposalCommitted: () => committed.inc(),
    proposalFailed: (reason) => failed.inc({ reason }),
    commitLatencySeconds: (s) => commitLatency.observe(s),
    fsyncLatencySeconds: (s) => fsyncLatency.observe(s),
    snapshotTaken: (s) => {
      snapshots.inc({ kind: "taken" });
      snapshotDuration.observe({ kind: "taken" }, s);
    },
    snapshotInstalled: (s) => {
      snapshots.inc({ kind: "installed" });
      snapshotDuration.observe({ kind: "installed" }, s);
    },
  };
}
