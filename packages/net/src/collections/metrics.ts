// Metric names of public collections, declared once.
export const COLLECTION_METRICS = {
  /** gauge{collection}: reader sessions currently served. */
  readers: "collection_readers",
  /** counter{collection}: entries written to readers (catch-up and live). */
  entriesServed: "collection_entries_served_total",
  /** counter{collection,reason}: reader sessions ended by the server, reason pruned|bad_request|closed. */
  sessionsEnded: "collection_sessions_ended_total",
} as const;
