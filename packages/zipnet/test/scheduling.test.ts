import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Aggregator,
  ClientScheduler,
  EnvelopeRateLimiter,
  SendGate,
  ZipnetClientError,
  sealEnvelope,
  buildPlaintext,
  encodeTx2718,
  finalizeRound,
  vectorBytes,
  xorInto,
  type BroadcastRecord,
  type RoundParams,
  type RoundPlan,
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

describe("rate limits (docs/adr/0005)", () => {
  test("aggregator: a second envelope in a round is a duplicate, and the (n+1)th in a window is rate_limited, talk or cover alike", () => {
    const w = new World({ ...params, minParticipants: 1 }, 2, 2);
    const limiter = new EnvelopeRateLimiter({ maxEnvelopes: 3, windowRounds: 10 });
    const c = w.clients[0]!.id;
    const n = vectorBytes(params);
    const plan = (round: number, talk: boolean): RoundPlan => ({
      round,
      reservation: talk ? { index: 1, footprint: new Uint8Array(16).fill(7) } : null,
      message: null,
    });
    // Envelopes as sealed (uniform pads), so the aggregator sees exactly what it sees in production.
    const rng = seededRng("envelope-rate");
    const env = (round: number, talk: boolean) =>
      sealEnvelope({ clientId: c, params, plan: plan(round, talk), padKeys: [0, 1].map(() => ({ key: rng.bytes(16), iv: rng.bytes(16) })) });
    const agg10 = new Aggregator(w.live(10), limiter);
    assert.deepEqual(agg10.offer(env(10, false)), { ok: true });
    assert.deepEqual(agg10.offer(env(10, true)), { ok: false, reason: "duplicate" }, "one envelope per client per round");
    assert.deepEqual(new Aggregator(w.live(11), limiter).offer(env(11, true)), { ok: true });
    assert.deepEqual(new Aggregator(w.live(12), limiter).offer(env(12, false)), { ok: true });
    for (const talk of [true, false]) {
      const agg = new Aggregator(w.live(13), limiter);
      assert.deepEqual(agg.offer(env(13, talk)), { ok: false, reason: "rate_limited" }, `the 4th envelope of the window, talk=${talk}`);
      assert.equal(agg.rejections.rate_limited, 1);
    }
    assert.equal(env(13, true).vector.length, n);
    assert.deepEqual(new Aggregator(w.live(20), limiter).offer(env(20, false)), { ok: true }, "next window");
    limiter.prune(20);
    assert.equal(limiter.allows(c, 21), true);
    assert.throws(() => new EnvelopeRateLimiter({ maxEnvelopes: 1, windowRounds: 0 }), { code: "ZIPNET_PARAMS_INVALID" });
    assert.throws(() => new EnvelopeRateLimiter({ maxEnvelopes: -1, windowRounds: 4 }), { code: "ZIPNET_PARAMS_INVALID" });
  });

  test("client: the scheduler never plans more data rounds per window than its talk budget; the rest wait and all land", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 8 }), fc.nat({ max: 30 }), fc.string(),
        (maxDataRounds, windowRounds, datums, start, seed) => {
          const rng = seededRng(seed);
          const s = new ClientScheduler({ talkBudget: { maxDataRounds, windowRounds } });
          for (let i = 0; i < datums; i++) s.enqueue(datum(`${seed}/${i}`));
          const perWindow = new Map<number, number>();
          let landed = 0;
          for (let r = start; r < start + 200 && landed < datums; r++) {
            const plan = s.plan(r, params, rng);
            if (plan.reservation || plan.message) {
              const w = Math.floor(r / windowRounds);
              perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
            }
            // This client alone: its reservation survives and its message is delivered.
            s.observe(record(r, {
              reservations: plan.reservation ? [plan.reservation] : [],
              messages: plan.message ? [{ slotIndex: plan.message.slotIndex, datum: plan.message.datum }] : [],
            }), params, rng);
            landed += s.takeReceipts().filter((x) => x.outcome === "landed").length;
          }
          assert.equal(landed, datums, "every datum lands eventually");
          for (const [w, k] of perWindow) assert.ok(k <= maxDataRounds, `window ${w}: ${k} data rounds > budget ${maxDataRounds}`);
          if (datums * 2 > maxDataRounds) assert.ok(perWindow.size > 1, "over-budget datums waited for a later window");
        }),
      { numRuns: 60 },
    );
  });

  test("client: a reservation that fails gives its message round back to the budget", () => {
    const rng = seededRng("refund");
    const s = new ClientScheduler({ talkBudget: { maxDataRounds: 2, windowRounds: 10 } });
    s.enqueue(datum("a"));
    const p0 = s.plan(0, params, rng);
    assert.ok(p0.reservation);
    assert.equal(s.talkBudgetLeft(0), 0);
    // Round 0's record lacks our footprint: dropped, so round 1's message is not sent.
    s.observe(record(0), params, rng);
    assert.equal(s.talkBudgetLeft(1), 1);
    const p1 = s.plan(1, params, rng);
    assert.deepEqual(p1, { round: 1, reservation: null, message: null }, "one free data round cannot hold a reservation and its message");
    assert.throws(() => new ClientScheduler({ talkBudget: { maxDataRounds: 1.5, windowRounds: 10 } }), { code: "ZIPNET_PARAMS_INVALID" });
  });

  test("client: send() refuses past the slot's datums with ZIPNET_CLIENT_RATE_LIMITED naming the limit and the window", () => {
    let now = 10_500;
    const gate = new SendGate({ datumsPerSlot: 2, genesisUnixMs: 0, slotDurationMs: 4_000, nowMs: () => now });
    gate.admit();
    gate.admit();
    assert.throws(() => gate.admit(), (e: unknown) => {
      assert.ok(e instanceof ZipnetClientError);
      assert.equal(e.code, "ZIPNET_CLIENT_RATE_LIMITED");
      assert.equal(e.temporary, true);
      assert.deepEqual(e.fields, { limit: 2, window: "slot", slot: 2, slotDurationMs: 4_000, retryInMs: 1_500 });
      assert.equal(e.message, "send: talk limit reached: 2 datums per slot (zipnet.maxEnvelopesPerClientPerSlot) already sent in slot 2; retry in 1500 ms, at the next slot.");
      return true;
    });
    now = 12_000;
    gate.admit();
    gate.admit();
    assert.throws(() => gate.admit(), { code: "ZIPNET_CLIENT_RATE_LIMITED" }, "the next slot has its own budget, no more");
  });
});
