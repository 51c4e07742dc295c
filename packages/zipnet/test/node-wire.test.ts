// The request protocols' reply frame: a property for the round trip, and
// every other byte string a typed error (never a crash).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeVerdict, encodeVerdict, MAX_REASON_BYTES, ZipnetError } from "../src/index.js";

const reasonArb = fc.string({ minLength: 1, maxLength: 32 }).filter((s) => Buffer.byteLength(s) <= MAX_REASON_BYTES);

test("Verdict: decode(encode(v)) = v", () => {
  fc.assert(
    fc.property(fc.oneof(fc.constant({ ok: true as const }), reasonArb.map((reason) => ({ ok: false as const, reason }))), (v) => {
      assert.deepEqual(decodeVerdict(encodeVerdict(v)), v);
    }),
  );
});

test("Verdict: arbitrary bytes decode or throw ZIPNET_DECODE_FIELD", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
      try {
        const v = decodeVerdict(b);
        assert.ok(v.ok ? b.length === 1 : b[0] === 1 && b.length >= 2);
      } catch (e) {
        assert.ok(e instanceof ZipnetError && e.code === "ZIPNET_DECODE_FIELD", String(e));
      }
    }),
  );
});

test("Verdict: an over-long reason is cut to the frame limit, and the table of bad frames", () => {
  assert.equal(encodeVerdict({ ok: false, reason: "x".repeat(200) }).length, 1 + MAX_REASON_BYTES);
  for (const [name, bytes] of [
    ["empty", new Uint8Array(0)],
    ["ok with trailing byte", Uint8Array.of(0, 1)],
    ["refusal without reason", Uint8Array.of(1)],
    ["unknown status", Uint8Array.of(2, 65)],
    ["reason too long", Uint8Array.of(1, ...new Uint8Array(MAX_REASON_BYTES + 1).fill(65))],
  ] as const) {
    assert.throws(() => decodeVerdict(bytes), { code: "ZIPNET_DECODE_FIELD" }, name);
  }
});
