// Metric names of the Raft transport, declared once. The sink is any object
// with inc/set (the daemon adapts prom-client; MemoryMetrics in tests), so
// NetMetrics implementations can be passed as they are.
import type { MetricLabels } from "../metrics.js";

export const RAFT_TRANSPORT_METRICS = {
  /** counter{direction}: frames written / read on Raft streams. */
  frames: "raft_transport_frames_total",
  /** counter{direction}: Raft messages carried in those frames. */
  messages: "raft_transport_messages_total",
  /** counter{direction}: frame bytes (payload, without the length prefix). */
  bytes: "raft_transport_bytes_total",
  /** counter{reason}: messages not delivered, reason from RAFT_DROP_REASONS. */
  dropped: "raft_transport_dropped_total",
  /** counter: outbound stream (re)connect failures, each reported to the driver as unreachable. */
  unreachable: "raft_transport_unreachable_total",
} as const;

export const RAFT_DROP_REASONS = [
  /** Inbound from a peer that has not passed committee admission. */
  "not_admitted",
  /** Outbound to a peer that refused or failed admission. */
  "peer_refused",
  /** A frame or message that does not decode, or exceeds the size limits. */
  "malformed",
  /** `from` differs from the authenticated sender's peer id. */
  "spoofed",
  /** `to` is not this node. */
  "misrouted",
  /** Larger than maxMessageBytes: the peer would refuse it (raise the limit on every member, or snapshot smaller). */
  "too_large",
  /** Shed by a full send queue (slow or absent peer). */
  "queue_full",
  /** Queued for a peer whose stream failed; Raft re-sends after reportUnreachable. */
  "unreachable",
  /** Received before a message handler was registered, or after stop. */
  "no_handler",
] as const;
export type RaftDropReason = (typeof RAFT_DROP_REASONS)[number];

/** Structural sink shared by the transport, committee and collections (NetMetrics fits). */
export interface MetricsSink {
  inc(name: string, labels?: MetricLabels, value?: number): void;
  set(name: string, value: number, labels?: MetricLabels): void;
}
