// Per-hop timeline of a write across processes (bench diagnosis only): with
// RAFT_HOP_TRACE=1 each call records wall-clock µs + event into a buffer on
// globalThis that the process dumps at exit; otherwise `hop` is null and the
// call sites cost one null check.
import { performance } from "node:perf_hooks";

type HopSink = string[];
const g = globalThis as { __raftHops?: HopSink };
export const hop: ((event: string, detail?: string | number) => void) | null =
  process.env["RAFT_HOP_TRACE"] === "1"
    ? (event, detail) => {
        (g.__raftHops ??= []).push(`${(performance.timeOrigin + performance.now()).toFixed(3)} ${event} ${detail ?? ""}`);
      }
    : null;
