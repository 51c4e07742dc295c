import { test } from "node:test";
import assert from "node:assert/strict";
import { probe2 } from "../src/index.js";
test("probe", () => { assert.equal(probe2, 84); assert.equal(typeof Promise.withResolvers, "function"); });
