import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger, moduleLogger } from "../src/logger.js";
import { Secret } from "../src/secret.js";

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join("")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

test("JSON lines carry the base fields, the module and the level label", () => {
  const out = capture();
  const logger = createLogger({ level: "info", base: { lattice: "acme", role: "atelier-member", member: "m1" }, destination: out.stream });
  moduleLogger(logger, "net").info({ peers: 3 }, "hello");
  logger.debug("hidden");
  const lines = out.lines();
  assert.equal(lines.length, 1);
  const { time, ...rest } = lines[0] ?? {};
  assert.equal(typeof time, "string");
  assert.deepEqual(rest, { level: "info", lattice: "acme", role: "atelier-member", member: "m1", module: "net", peers: 3, msg: "hello" });
});

test("secret-named keys and Secret values never print", () => {
  const out = capture();
  const logger = createLogger({ level: "trace", destination: out.stream });
  const raw = "deadbeef".repeat(8);
  logger.info({ secret: raw, env: { committeeSecret: raw, authorization: "Bearer x" }, peer: new Secret(new Uint8Array(32).fill(0xde)) }, "loaded");
  const text = JSON.stringify(out.lines());
  assert.ok(!text.includes("deadbeef") && !text.includes("Bearer") && !text.includes("dede"), text);
  assert.equal(out.lines()[0]?.["secret"], "[redacted]");
  assert.equal(out.lines()[0]?.["peer"], "[redacted]");
});

test("errors under err log their code and message", () => {
  const out = capture();
  const logger = createLogger({ level: "info", destination: out.stream });
  const err = Object.assign(new Error("boom"), { code: "X_BOOM" });
  logger.error({ err }, "failed");
  const line = out.lines()[0] as { err: { message: string; code: string } };
  assert.equal(line.err.message, "boom");
  assert.equal(line.err.code, "X_BOOM");
});
