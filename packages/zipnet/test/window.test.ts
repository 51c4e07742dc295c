import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { WINDOW_PRESETS, deriveGeometry, lastInSlot, roundParams, slotForRound, vectorBytes } from "../src/index.js";

describe("window presets", () => {
  test("interactive: 1 s rounds up to 64 clients; archival: 30 s up to 1024 (DESIGN §2)", () => {
    const i = roundParams("interactive");
    assert.equal(i.roundPeriodMs, 1000);
    assert.equal(i.maxParticipants, 64);
    assert.deepEqual([i.messageSlots, i.reservationSlots], [16, 64]);
    const a = roundParams("archival");
    assert.equal(a.roundPeriodMs, 30_000);
    assert.equal(a.maxParticipants, 1024);
    assert.deepEqual([a.messageSlots, a.reservationSlots], [256, 1024]);
    assert.equal(vectorBytes(a), 1024 * 16 + 256 * 1040);
  });
  test("explicit tuples derive geometry unless given; bad tuples and names are typed errors", () => {
    const t = { ...WINDOW_PRESETS.interactive, maxParticipants: 20 };
    assert.deepEqual(roundParams(t), { ...t, ...deriveGeometry(20) });
    assert.equal(roundParams({ ...t, messageSlots: 3, reservationSlots: 12 }).messageSlots, 3);
    assert.throws(() => roundParams({ ...t, foldDeadlineMs: 2000 }), { code: "ZIPNET_PARAMS_INVALID" });
    assert.throws(() => roundParams("fast" as "interactive"), { code: "ZIPNET_PARAMS_INVALID" });
  });
});

describe("round → slot", () => {
  const st = { genesisUnixMs: 1_000_000, slotDurationMs: 12_000, cutoffMs: 4_000 };
  const rt = { firstRoundUnixMs: 1_000_000, roundPeriodMs: 1_000, roundDeadlineMs: 950 };
  test("a round feeds the first slot whose cutoff is not before its deadline", () => {
    // Round 1 ends at +950 ms; slot 1 starts at +12 s, cutoff +8 s → slot 1.
    assert.equal(slotForRound(rt, st, 1), 1);
    // Round 8 ends at +7.95 s (before the +8 s cutoff); round 9 ends at +8.95 s.
    assert.equal(slotForRound(rt, st, 8), 1);
    assert.equal(lastInSlot(rt, st, 8), true);
    assert.equal(slotForRound(rt, st, 9), 2);
    assert.equal(lastInSlot(rt, st, 9), false);
    assert.throws(() => slotForRound(rt, st, 0), { code: "ZIPNET_PARAMS_INVALID" });
  });
  test("property: slots are monotone, every round ends by its slot's cutoff, and slot changes are marked lastInSlot", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 30_000 }), fc.integer({ min: 1_000, max: 60_000 }), fc.integer({ min: 0, max: 5_000 }), (period, dur, cutoff) => {
        const r = { firstRoundUnixMs: 0, roundPeriodMs: period, roundDeadlineMs: Math.floor(period * 0.9) };
        const s = { genesisUnixMs: 0, slotDurationMs: dur, cutoffMs: cutoff };
        let lasts = 0;
        let changes = 0;
        const rounds = Math.ceil((3 * dur) / period) + 2;
        for (let round = 1; round < rounds; round++) {
          const a = slotForRound(r, s, round);
          const b = slotForRound(r, s, round + 1);
          assert.ok(b >= a);
          assert.ok(r.firstRoundUnixMs + (round - 1) * period + r.roundDeadlineMs <= a * dur - cutoff);
          if (lastInSlot(r, s, round)) lasts++;
          if (b !== a) changes++;
        }
        assert.equal(lasts, changes);
        assert.ok(lasts >= 2);
      }),
    );
  });
});
