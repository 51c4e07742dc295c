#!/usr/bin/env node
import "@builder/polyfill";
import { Histogram } from "prom-client";
import { runDaemon } from "@builder/daemon";
import { ROUND_LATENCY_BUCKETS, ZIPNET_METRICS, startZipnetServerRole } from "@builder/zipnet";

await runDaemon({
  role: "zipnet-server",
  start: (ctx) => {
    // zipnet's one histogram lives on the daemon's registry: its named() sink makes only counters and gauges.
    const latency = new Histogram({
      name: ZIPNET_METRICS.roundCommitLatency,
      help: "zipnet round latency: OpenRound applied to its BroadcastRecord applied, on this server",
      buckets: [...ROUND_LATENCY_BUCKETS],
      registers: [ctx.metrics.registry],
    });
    return startZipnetServerRole(ctx, { observe: (name, v) => name === ZIPNET_METRICS.roundCommitLatency && latency.observe(v) });
  },
});
