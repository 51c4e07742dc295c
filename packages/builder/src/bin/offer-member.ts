#!/usr/bin/env node
import "@builder/polyfill";
import { runDaemon } from "@builder/daemon";
import { readyOnlyRole } from "../roles/readyOnlyRole.js";

await runDaemon({ role: "offer-member", start: readyOnlyRole });
