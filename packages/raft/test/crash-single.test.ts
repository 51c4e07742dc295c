// A single member killed with SIGKILL at random points (see fixtures/crash-harness.ts).
import { test } from "node:test";
import { crashLoop } from "./fixtures/crash-harness.js";

test("SIGKILL a single member 10 times at random points: every acknowledged entry survives in order", { timeout: 120_000 }, (t) => crashLoop(t, 1, 10));
