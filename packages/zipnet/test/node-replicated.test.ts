// The node's state machine (ZipnetMachine + collections):
// a member restored from a snapshot at any point of the log and fed the rest
// ends where a member that applied the whole log ends.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { encodeTx2718, ReplicatedZipnet } from "../src/index.js";
import { World, txOf } from "./fixtures.js";

const params = { roundPeriodMs: 1000, minParticipants: 2, maxParticipants: 16, foldDeadlineMs: 500, roundDeadlineMs: 950, messageSlots: 4, reservationSlots: 16 };
interface CollectionEntryLike {
  readonly seq: number;
  readonly slot: number;
  readonly data: string;
}
const ids = (label: string) => new Uint8Array(createHash("sha256").update(label).digest());
const collections = { broadcasts: ids("b"), liveRound: ids("l"), clientRegistry: ids("c"), serverRegistry: ids("s") };
const entries = (r: ReplicatedZipnet, label: keyof typeof collections): CollectionEntryLike[] => {
  const log = r.logs[label];
  return log.read(log.firstSeq, Number.MAX_SAFE_INTEGER).map((e) => ({ seq: e.seq, slot: e.slot, data: Buffer.from(e.data).toString("hex") }));
};

// One recorded log: registrations, six rounds with traffic, one abandoned round.
const world = new World(params, 3, 6);
world.clients.forEach((c, i) => c.scheduler.enqueue(encodeTx2718(txOf(`replicated ${i}`))));
for (let r = 1; r <= 6; r++) await world.round(r);
world.expectAccepted({ type: "openRound", live: world.live(7) });
world.expectAccepted({ type: "openRound", live: world.live(8) });
const log = world.log;

function replay(upTo: number, into = new ReplicatedZipnet(collections), from = 0): ReplicatedZipnet {
  for (let i = from; i < upTo; i++) into.apply(log[i]!, { index: i + 1, term: 1 });
  return into;
}

test("restore at any cut + the rest of the log = the whole log (machine, epoch keys, broadcasts; LiveRound keeps the suffix under the same seqs)", () => {
  const whole = replay(log.length);
  assert.ok(whole.machine.broadcasts(0).length >= 6);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: log.length }), (cut) => {
      const restored = new ReplicatedZipnet(collections);
      restored.restore(replay(cut).snapshot());
      replay(log.length, restored, cut);
      assert.deepEqual(restored.machine.snapshot(), whole.machine.snapshot());
      assert.deepEqual(restored.snapshot(), whole.snapshot());
      for (const e of [0, 1]) assert.deepEqual(restored.machine.serverEpochKeys(e), whole.machine.serverEpochKeys(e));
      for (const c of world.clients) assert.equal(restored.machine.clientFirstEpoch(c.id), whole.machine.clientFirstEpoch(c.id));
      assert.deepEqual(entries(restored, "broadcasts"), entries(whole, "broadcasts"));
      assert.deepEqual(entries(restored, "clientRegistry"), entries(whole, "clientRegistry"));
      assert.deepEqual(entries(restored, "serverRegistry"), entries(whole, "serverRegistry"));
      // Past LiveRounds are not in the snapshot: the restored log holds the live one onward,
      // under the very seqs its peers gave them (a reader resuming by seq neither skips nor repeats).
      const a = entries(whole, "liveRound");
      const b = entries(restored, "liveRound");
      assert.ok(b.length >= 1 || a.length === 0);
      assert.deepEqual(b, a.slice(a.length - b.length));
      assert.equal(restored.logs.liveRound.lastSeq, whole.logs.liveRound.lastSeq);
    }),
    { numRuns: 40 },
  );
});

test("an abandoned round is counted, not broadcast", () => {
  const whole = replay(log.length);
  assert.equal(whole.machine.counters().roundsAbandoned, 1);
  assert.equal(entries(whole, "liveRound").length, 8);
  assert.ok(!whole.machine.broadcasts(0).some((r) => r.round === 7));
});

test("a partial is listed as committed for the live round only", () => {
  const whole = replay(log.length);
  assert.equal(whole.partialsCommitted().size, 0, "round 8 has no partials yet");
  const lastPartial = log.length - 3; // round 6's last partial precedes the two openRounds
  const mid = replay(lastPartial);
  assert.equal(mid.partialsCommitted().size, 2);
});

test("a corrupt node snapshot is a typed error", () => {
  const r = new ReplicatedZipnet(collections);
  assert.throws(() => r.restore(Uint8Array.of(9)), { code: "ZIPNET_SNAPSHOT_INVALID" });
  // Version 2 carried per-client ratchet anchors from before key epochs: refused with the fix, not misread.
  assert.throws(() => r.restore(Uint8Array.of(2, 0, 0, 0, 0)), (e: unknown) => {
    assert.equal((e as { code?: string }).code, "ZIPNET_SNAPSHOT_INVALID");
    assert.match((e as Error).message, /predates key epochs[\s\S]*empty data dir/);
    return true;
  });
  assert.throws(() => r.restore(new Uint8Array(0)), (e: unknown) => (e as { code?: string }).code?.startsWith("ZIPNET_") === true);
});
