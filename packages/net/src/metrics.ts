// The metrics this package emits, declared once. Callers pass any object
// implementing NetMetrics (the daemon adapts its prom-client registry), so
// this library never imports prom-client.

export const NET_METRICS = {
  /** gauge: peers currently known through discovery (self excluded). */
  discoveryPeers: "discovery_peers_total",
  /** gauge: open libp2p connections. */
  connections: "net_connections",
  /** counter{direction="in"|"out"}: payload bytes of lattice protocols (admission, discovery, ticketed streams). */
  bytes: "net_bytes_total",
  /** counter{reason}: admission refusals, reason from ADMISSION_REFUSAL_REASONS. */
  admissionRefused: "net_admission_refused_total",
} as const;

export type NetMetricName = (typeof NET_METRICS)[keyof typeof NET_METRICS];
export type MetricLabels = Readonly<Record<string, string>>;

export interface NetMetrics {
  inc(name: NetMetricName, labels?: MetricLabels, value?: number): void;
  set(name: NetMetricName, value: number, labels?: MetricLabels): void;
}

/** In-memory NetMetrics; useful for tests and for reading values in-process. */
export class MemoryMetrics implements NetMetrics {
  private readonly values = new Map<string, number>();
  inc(name: NetMetricName, labels?: MetricLabels, value = 1): void {
    const key = metricKey(name, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + value);
  }
  set(name: NetMetricName, value: number, labels?: MetricLabels): void {
    this.values.set(metricKey(name, labels), value);
  }
  get(name: NetMetricName, labels?: MetricLabels): number {
    return this.values.get(metricKey(name, labels)) ?? 0;
  }
}

function metricKey(name: string, labels?: MetricLabels): string {
  if (labels === undefined) return name;
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${parts.join(",")}}`;
}
