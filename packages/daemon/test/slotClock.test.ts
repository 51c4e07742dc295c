import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DaemonError } from "../src/errors.js";
import { type SlotTick, SlotClock } from "../src/slotClock.js";
import { slotAt, slotStartMs } from "../src/slotMath.js";
import { ManualTimeSource } from "../src/timeSource.js";

const cfgArb = fc.record({ genesisUnixMs: fc.integer({ min: 0, max: 4_000_000_000_000 }), durationMs: fc.integer({ min: 1, max: 120_000 }) });

describe("slot math", () => {
  test("every instant lies inside its slot (property)", () => {
    fc.assert(
      fc.property(cfgArb, fc.integer({ min: -1_000_000_000, max: 1_000_000_000_000 }), (cfg, offset) => {
        const t = cfg.genesisUnixMs + offset;
        const s = slotAt(t, cfg);
        assert.ok(slotStartMs(s, cfg) <= t, "slot starts at or before t");
        assert.ok(t < slotStartMs(s + 1, cfg), "next slot starts after t");
      }),
    );
  });

  test("slotAt inverts slotStartMs and is monotone (property)", () => {
    fc.assert(
      fc.property(cfgArb, fc.integer({ min: -1000, max: 10_000_000 }), fc.nat(1_000_000), (cfg, slot, dt) => {
        assert.equal(slotAt(slotStartMs(slot, cfg), cfg), slot);
        const t = slotStartMs(slot, cfg);
        assert.ok(slotAt(t + dt, cfg) >= slotAt(t, cfg));
      }),
    );
  });

  test("known points: Ethereum-like 12 s slots", () => {
    const cfg = { genesisUnixMs: 1_606_824_023_000, durationMs: 12_000 };
    assert.equal(slotAt(cfg.genesisUnixMs, cfg), 0);
    assert.equal(slotAt(cfg.genesisUnixMs + 11_999, cfg), 0);
    assert.equal(slotAt(cfg.genesisUnixMs + 12_000, cfg), 1);
    assert.equal(slotAt(cfg.genesisUnixMs - 1, cfg), -1);
    assert.equal(slotStartMs(10, { genesisUnixMs: 5n, durationMs: 2n }), 25);
  });

  test("invalid slot config is a typed error naming the field", () => {
    assert.throws(
      () => slotAt(0, { genesisUnixMs: 0, durationMs: 0 }),
      (e: unknown) => e instanceof DaemonError && e.code === "DAEMON_SLOT_CONFIG_INVALID" && e.message.includes("slot.durationMs is 0"),
    );
    assert.throws(() => slotAt(0, { genesisUnixMs: -1, durationMs: 1 }), (e: unknown) => e instanceof DaemonError && e.message.includes("slot.genesisUnixMs is -1"));
  });
});

describe("SlotClock", () => {
  test("ticks once at each slot start under a manual clock", () => {
    const time = new ManualTimeSource(10_500);
    const clock = new SlotClock({ genesisUnixMs: 10_000, durationMs: 1_000 }, time);
    const ticks: SlotTick[] = [];
    clock.onSlot((t) => ticks.push(t));
    clock.start();
    assert.equal(clock.currentSlot(), 0);
    assert.equal(clock.msIntoSlot(), 500);
    time.advance(499);
    assert.equal(ticks.length, 0);
    time.advance(1);
    assert.deepEqual(ticks, [{ slot: 1, startMs: 11_000, missed: 0 }]);
    time.advance(3_000);
    assert.deepEqual(
      ticks.map((t) => t.slot),
      [1, 2, 3, 4],
    );
    clock.stop();
    time.advance(10_000);
    assert.equal(ticks.length, 4);
    assert.equal(time.pendingTimers, 0);
  });

  test("before genesis the first tick is slot 0 at genesis", () => {
    const time = new ManualTimeSource(0);
    const clock = new SlotClock({ genesisUnixMs: 5_000, durationMs: 1_000 }, time);
    const ticks: SlotTick[] = [];
    clock.onSlot((t) => ticks.push(t));
    clock.start();
    time.advance(4_999);
    assert.equal(ticks.length, 0);
    time.advance(1);
    assert.deepEqual(ticks, [{ slot: 0, startMs: 5_000, missed: 0 }]);
    clock.stop();
  });

  test("a stalled timer reports the slots it skipped and emits only the current slot", () => {
    // Timers that fire late, as when the event loop is blocked.
    let now = 0;
    let pending: (() => void) | undefined;
    const late = {
      now: () => now,
      setTimer: (_ms: number, fn: () => void) => {
        pending = fn;
        return () => {
          pending = undefined;
        };
      },
    };
    const clock = new SlotClock({ genesisUnixMs: 0, durationMs: 100 }, late);
    const ticks: SlotTick[] = [];
    clock.onSlot((t) => ticks.push(t));
    clock.start();
    now = 450;
    pending?.();
    assert.deepEqual(ticks, [{ slot: 4, startMs: 400, missed: 3 }]);
    clock.stop();
  });

  test("ticks match slotAt for random advance schedules (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.nat(10_000), fc.array(fc.nat(2_000), { maxLength: 30 }), (duration, start, steps) => {
        const time = new ManualTimeSource(start);
        const cfg = { genesisUnixMs: 1_000, durationMs: duration };
        const clock = new SlotClock(cfg, time);
        const ticks: number[] = [];
        clock.onSlot((t) => ticks.push(t.slot));
        clock.start();
        const first = slotAt(start, cfg);
        for (const s of steps) time.advance(s);
        const last = slotAt(time.now(), cfg);
        // With a timer that fires on time every slot from the first one after start up to now is emitted, in order.
        const expected: number[] = [];
        for (let s = Math.max(first + 1, 0); s <= last; s++) expected.push(s);
        assert.deepEqual(ticks, expected);
        clock.stop();
      }),
    );
  });

  test("waitForSlot resolves at the slot's start", async () => {
    const time = new ManualTimeSource(0);
    const clock = new SlotClock({ genesisUnixMs: 0, durationMs: 100 }, time);
    clock.start();
    let resolved: SlotTick | undefined;
    const p = clock.waitForSlot(3).then((t) => (resolved = t));
    time.advance(299);
    await Promise.resolve();
    assert.equal(resolved, undefined);
    time.advance(1);
    await p;
    assert.deepEqual(resolved, { slot: 3, startMs: 300, missed: 0 });
    assert.equal((await clock.waitForSlot(1)).slot, 3);
    clock.stop();
  });
});
