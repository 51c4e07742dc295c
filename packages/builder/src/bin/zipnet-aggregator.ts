#!/usr/bin/env node
import "@builder/polyfill";
import { runDaemon } from "@builder/daemon";
import { startZipnetAggregatorRole } from "@builder/zipnet";

await runDaemon({ role: "zipnet-aggregator", start: (ctx) => startZipnetAggregatorRole(ctx) });
