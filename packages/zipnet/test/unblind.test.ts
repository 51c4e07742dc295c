import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import fc from "fast-check";
import {
  UnblindPool,
  WORKER_CROSSOVER_BYTES,
  computePartial,
  pad,
  packKeys,
  participantsHash,
  shouldUseWorkers,
  unblindPacked,
  unblindPartial,
  xorInto,
} from "../src/index.js";

const keyArb = fc.record({
  key: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  iv: fc.uint8Array({ minLength: 16, maxLength: 16 }),
});

describe("server unblinding", () => {
  const pool = new UnblindPool(2);
  after(() => pool.close());

  test("the fused CTR pass equals XOR of the individual pads", () => {
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 12 }), fc.integer({ min: 0, max: 300 }), (keys, words) => {
        const n = words * 4;
        const expected = new Uint8Array(n);
        for (const k of keys) xorInto(expected, pad(k, n));
        assert.deepEqual(unblindPartial(keys, n), expected);
        assert.deepEqual(unblindPacked(packKeys(keys), n), expected);
      }),
    );
  });

  test("worker-thread unblinding equals single-thread unblinding", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(keyArb, { maxLength: 40 }), fc.integer({ min: 0, max: 2000 }), async (keys, words) => {
        const n = words * 4;
        assert.deepEqual(await pool.unblind(keys, n), unblindPartial(keys, n));
      }),
      { numRuns: 40 },
    );
  });

  test("pad keys stay usable after a shard was sent (packed copies are what cross)", async () => {
    const keys = [{ key: new Uint8Array(16).fill(1), iv: new Uint8Array(16).fill(2) }];
    await pool.unblind(keys, 64);
    assert.deepEqual(keys[0]!.key, new Uint8Array(16).fill(1));
    const c = createCipheriv("aes-128-ctr", keys[0]!.key, keys[0]!.iv);
    assert.deepEqual(unblindPartial(keys, 64), new Uint8Array(c.update(new Uint8Array(64))));
  });

  test("computePartial covers exactly the aggregate's participants and binds their hash", async () => {
    const participants = ["aa", "bb", "cc"].map((b) => b.repeat(32));
    const keys = new Map(participants.map((p, i) => [p, { key: new Uint8Array(16).fill(i + 1), iv: new Uint8Array(16) }]));
    const asked: string[] = [];
    const partial = await computePartial({
      aggregate: { round: 4, participants, vector: new Uint8Array(256) },
      serverId: "dd".repeat(32),
      padKeyFor: (c) => {
        asked.push(c);
        return keys.get(c)!;
      },
      pool,
    });
    assert.deepEqual(asked, participants);
    assert.deepEqual(partial.participantsHash, participantsHash(participants));
    assert.deepEqual(partial.vector, unblindPartial([...keys.values()], 256));
    assert.equal(partial.round, 4);
  });

  test("workers are used only above the measured crossover", () => {
    assert.equal(shouldUseWorkers(1024, 16 * 1024, 2), true);
    assert.equal(shouldUseWorkers(8, 1024, 2), false);
    assert.equal(shouldUseWorkers(1024, 16 * 1024, 1), false);
    assert.equal(shouldUseWorkers(Math.ceil(WORKER_CROSSOVER_BYTES / 4096), 4096, 2), true);
  });

  test("a closed pool refuses work with a typed error", async () => {
    const p = new UnblindPool(1);
    await p.close();
    await assert.rejects(p.unblind([], 4), { code: "ZIPNET_UNBLIND_WORKER" });
  });
});
