import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Aggregator,
  ClientScheduler,
  RateLimiter,
  buildPlaintext,
  encodeTx2718,
  finalizeRound,
  vectorBytes,
  xorInto,
  type BroadcastRecord,
  type RoundParams,
} from "../src/index.js";
import { World, seededRng, txOf } from "./fixtures.js";

const params: RoundParams = {
  roundPeriodMs: 1000,
  minParticipants: 1,
  maxParticipants: 8,
  foldDeadlineMs: 500,
  roundDeadlineMs: 950,
  messageSlots: 2,
  reservationSlots: 4,
};
const datum = (s: string) => encodeTx2718(txOf(s));
const record = (round: number, over: Partial<BroadcastRecord> = {}): BroadcastRecord => ({
  round, slot: 0, lastInSlot: false, participants: 1, reservations: [], messages: [], collisions: [], ...over,
});

describe("footprint scheduling", () => {
  test("a surviving footprint owns the slot of its rank next round; the datum then lands", () => {
    const rng = seededRng("s1");
    const s = new ClientScheduler();
    const id = s.enqueue(datum("a"));
    const p1 = s.plan(1, params, rng);
    assert.ok(p1.reservation && !p1.message);
    // Another reservation at a lower index takes rank 0; ours gets slot 1.
    const other = { index: 0, footprint: new Uint8Array(16).fill(7) };
    const mine = p1.reservation.index === 0 ? [{ ...p1.reservation }] : [other, p1.reservation];
    s.observe(record(1, { reservations: mine }), params, rng);
    const p2 = s.plan(2, params, rng);
    assert.equal(p2.message?.slotIndex, mine.length - 1);
    assert.deepEqual(p2.message?.datum, datum("a"));
    s.observe(record(2, { messages: [{ slotIndex: mine.length - 1, datum: datum("a") }] }), params, rng);
    assert.deepEqual(s.takeReceipts(), [{ id, round: 2, outcome: "landed", final: true, attempts: 1 }]);
    assert.equal(s.pending, 0);
    assert.deepEqual(s.plan(3, params, rng), { round: 3, reservation: null, message: null }, "idle clients send cover");
  });

  test("a garbled footprint is a collision followed by backoff; an absent one is dropped and retried at once", () => {
    const rng = seededRng("s2");
    const s = new ClientScheduler();
    s.enqueue(datum("b"));
    const p1 = s.plan(1, params, rng);
    const garbled = { index: p1.reservation!.index, footprint: new Uint8Array(16).fill(0xee) };
    s.observe(record(1, { reservations: [garbled] }), params, rng);
    assert.equal(s.takeReceipts()[0]?.outcome, "collided");
    let r = 2;
    while (!s.plan(r, params, rng).reservation) r++;
    assert.ok(r <= 4, "first backoff window is at most 2 rounds");
    s.observe(record(r, {}), params, rng);
    assert.deepEqual(s.takeReceipts().map((x) => x.outcome), ["dropped"]);
    assert.ok(s.plan(r + 1, params, rng).reservation, "dropped retries without backoff");
  });

  test("overflow past the message slots and unobserved rounds are Dropped; attempts are bounded", () => {
    const rng = seededRng("s3");
    const s = new ClientScheduler({ maxAttempts: 2 });
    s.enqueue(datum("c"));
    const p1 = s.plan(1, params, rng);
    const fillers = [0, 1, 2, 3].filter((i) => i !== p1.reservation!.index).slice(0, 2).map((index) => ({ index, footprint: new Uint8Array(16).fill(index + 1) }));
    const all = [...fillers, p1.reservation!].sort((a, b) => a.index - b.index);
    if (all.findIndex((x) => x.index === p1.reservation!.index) >= params.messageSlots) {
      s.observe(record(1, { reservations: all }), params, rng);
      assert.equal(s.takeReceipts()[0]?.outcome, "dropped");
    } else s.roundFailed(1);
    assert.ok(s.plan(2, params, rng).reservation);
    // Round 2 is never observed: planning round 3 gives up (maxAttempts = 2).
    s.plan(3, params, rng);
    const last = s.takeReceipts().pop();
    assert.deepEqual([last?.outcome, last?.final], ["dropped", true]);
    assert.equal(s.pending, 0);
  });

  test("property: with k talkers every datum lands exactly once, each client's in order (model: FIFO per client)", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), (seed, k, per) => {
        const rng = seededRng(seed);
        const clients = Array.from({ length: k }, () => new ClientScheduler({ maxAttempts: 1000 }));
        const want = clients.map((c, i) => Array.from({ length: per }, (_, j) => {
          const d = datum(`${seed}/${i}/${j}`);
          c.enqueue(d);
          return Buffer.from(d).toString("hex");
        }));
        const got: string[][] = clients.map(() => []);
        let prev: BroadcastRecord | null = null;
        for (let r = 1; r < 400 && clients.some((c) => c.pending > 0); r++) {
          // Plaintext-level simulation: XOR of plaintexts is what finalize sees.
          const plans = clients.map((c) => {
            if (prev) c.observe(prev, params, rng);
            return c.plan(r, params, rng);
          });
          const live = { round: r, slot: 0, lastInSlot: false, clients: [], servers: [], params };
          const vector = new Uint8Array(vectorBytes(params));
          for (const p of plans) xorInto(vector, buildPlaintext(params, p));
          prev = finalizeRound({ live, aggregate: { round: r, participants: [], vector }, partials: [], previous: prev }).record;
          for (const m of prev.messages) {
            const hex = Buffer.from(m.datum).toString("hex");
            const owner = want.findIndex((w) => w.includes(hex));
            got[owner]!.push(hex);
          }
        }
        assert.deepEqual(got, want);
      }),
      { numRuns: 30 },
    );
  });
});

describe("rate limit (aggregator token accounting)", () => {
  test("N data envelopes per client per window; cover envelopes are free; the window resets", async () => {
    const w = new World({ ...params, minParticipants: 1 }, 2, 2);
    const limiter = new RateLimiter({ maxDataEnvelopes: 2, windowRounds: 10 });
    const c = w.clients[0]!.id;
    const live = (round: number) => w.live(round);
    const vec = new Uint8Array(4 * 16 + 2 * 1040);
    const offer = (round: number, hasData: boolean) => new Aggregator(live(round), limiter).offer({ round, clientId: c, hasData, vector: vec });
    assert.deepEqual(offer(10, true), { ok: true });
    assert.deepEqual(offer(11, false), { ok: true });
    assert.deepEqual(offer(12, true), { ok: true });
    assert.deepEqual(offer(13, true), { ok: false, reason: "rate_limited" });
    assert.deepEqual(offer(14, false), { ok: true }, "cover traffic is never limited");
    assert.deepEqual(offer(20, true), { ok: true }, "next window");
    limiter.prune(20);
    assert.equal(limiter.allows(c, 21), true);
    assert.throws(() => new RateLimiter({ maxDataEnvelopes: 1, windowRounds: 0 }), { code: "ZIPNET_PARAMS_INVALID" });
  });
});

