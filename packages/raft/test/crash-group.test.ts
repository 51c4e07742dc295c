// Three members in one process killed together with SIGKILL: the correlated
// failure (power cut of a rack) where only fsynced state survives anywhere.
import { test } from "node:test";
import { crashLoop } from "./fixtures/crash-harness.js";

test("SIGKILL a whole 3-member group 5 times: every entry acknowledged by a majority survives", { timeout: 120_000 }, (t) => crashLoop(t, 3, 5));
