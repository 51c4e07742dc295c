// In-process end-to-end of the pure pieces: 3 servers, 1 aggregator, 20
// clients, several rounds, the committee machine driven by apply() directly.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Aggregator,
  decodeClientEnvelope,
  decodeTx2718,
  encodeClientEnvelope,
  encodeTx2718,
  participantsHash,
  type BroadcastRecord,
  type Receipt,
} from "../src/index.js";
import { World, txOf } from "./fixtures.js";

const toHexForTest = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const params = {
  roundPeriodMs: 1000,
  minParticipants: 3,
  maxParticipants: 64,
  foldDeadlineMs: 500,
  roundDeadlineMs: 950,
  messageSlots: 8,
  reservationSlots: 32,
};

test("20 clients × 3 datums: every datum lands exactly once, in each client's order, despite collisions", async () => {
  const world = new World(params, 3, 20);
  const sent = new Map<string, string[]>();
  world.clients.forEach((c, i) => {
    const txs = [0, 1, 2].map((k) => txOf(`client ${i} tx ${k}`));
    sent.set(c.id, txs.map((t) => toHexForTest(t)));
    for (const t of txs) c.scheduler.enqueue(encodeTx2718(t));
  });
  const receipts: Receipt[] = [];
  const records: BroadcastRecord[] = [];
  let round = 1;
  for (; round <= 200 && world.clients.some((c) => c.scheduler.pending > 0); round++) {
    const rec = await world.round(round);
    assert.ok(rec, `round ${round} finalized`);
    records.push(rec);
    for (const c of world.clients) receipts.push(...c.scheduler.takeReceipts());
  }
  // The clients learn of the last round's outcome in the next round's observe.
  const last = records[records.length - 1]!;
  for (const c of world.clients) {
    c.scheduler.observe(last, params, world.rng);
    receipts.push(...c.scheduler.takeReceipts());
  }
  assert.ok(round < 200, "all datums delivered within 200 rounds");
  assert.equal(world.machine.broadcasts(1).length, records.length);

  const landed = records.flatMap((r) => r.messages.map((m) => ({ round: r.round, tx: toHexForTest(decodeTx2718(m.datum)) })));
  const all = [...sent.values()].flat();
  assert.equal(landed.length, all.length, "no extra or missing messages");
  assert.deepEqual([...new Set(landed.map((l) => l.tx))].sort(), [...all].sort(), "every datum exactly once");
  for (const [, txs] of sent) {
    const rounds = txs.map((t) => landed.find((l) => l.tx === t)!.round);
    assert.deepEqual(rounds, [...rounds].sort((a, b) => a - b), "a client's datums land in submission order");
  }
  assert.equal(receipts.filter((r) => r.outcome === "landed").length, all.length);
  assert.ok(receipts.some((r) => r.outcome === "collided"), "the schedule actually exercised collisions");
  assert.equal(receipts.filter((r) => r.final && r.outcome !== "landed").length, 0, "nothing given up");
  assert.deepEqual(world.machine.counters().rejected, {});
});

test("bad envelopes are rejected with reasons and leave the round intact", async () => {
  const world = new World(params, 3, 5);
  world.clients[0]!.scheduler.enqueue(encodeTx2718(txOf("only")));
  const live = world.live(1);
  world.expectAccepted({ type: "openRound", live });
  const envs = world.seal(live, null);
  const agg = new Aggregator(live);
  const good = envs[0]!;
  assert.throws(() => decodeClientEnvelope(encodeClientEnvelope(good).subarray(0, 50)), { code: "ZIPNET_DECODE_TRUNCATED" });
  assert.deepEqual(agg.offer({ ...good, round: 7 }), { ok: false, reason: "wrong_round" });
  assert.deepEqual(agg.offer({ ...good, vector: good.vector.subarray(4) }), { ok: false, reason: "wrong_length" });
  assert.deepEqual(agg.offer({ ...good, clientId: "ab".repeat(32) }), { ok: false, reason: "unknown_client" });
  for (const e of envs) assert.deepEqual(agg.offer(decodeClientEnvelope(encodeClientEnvelope(e))), { ok: true });
  assert.deepEqual(agg.offer(good), { ok: false, reason: "duplicate" });
  assert.deepEqual(agg.rejections, { wrong_round: 1, unknown_client: 1, wrong_length: 1, duplicate: 1, rate_limited: 0, closed: 0 });
  const closed = agg.close();
  assert.ok(closed.ok);
  assert.deepEqual(agg.offer(good), { ok: false, reason: "closed" });

  // The machine refuses the same mistakes on the committed path.
  const a = closed.aggregate;
  assert.equal(world.apply({ type: "submitAggregate", aggregate: { ...a, round: 2 } }).status, "rejected");
  const short = world.apply({ type: "submitAggregate", aggregate: { ...a, vector: a.vector.subarray(8) } });
  assert.equal(short.status === "rejected" && short.reason, "wrong_length");
  const stranger = world.apply({ type: "submitAggregate", aggregate: { ...a, participants: [...a.participants, "ff".repeat(32)] } });
  assert.equal(stranger.status === "rejected" && stranger.reason, "participants_not_in_round");
  const garbage = world.apply(new Uint8Array([1, 2, 3]));
  assert.equal(garbage.status === "rejected" && garbage.reason, "malformed");
  world.expectAccepted({ type: "submitAggregate", aggregate: a });

  const partials = await world.partials(live, a);
  const [p0, p1, p2] = partials as [typeof partials[0], typeof partials[0], typeof partials[0]];
  world.expectAccepted({ type: "submitPartial", partial: p0 });
  const dup = world.apply({ type: "submitPartial", partial: p0 });
  assert.deepEqual(dup, { status: "ignored", command: "submitPartial", reason: "duplicate" });
  const wrongSet = world.apply({ type: "submitPartial", partial: { ...p1, participantsHash: participantsHash(a.participants.slice(1)) } });
  assert.equal(wrongSet.status === "rejected" && wrongSet.reason, "participants_mismatch");
  const wrongLen = world.apply({ type: "submitPartial", partial: { ...p1, vector: p1.vector.subarray(4) } });
  assert.equal(wrongLen.status === "rejected" && wrongLen.reason, "wrong_length");
  const stale = world.apply({ type: "submitPartial", partial: { ...p1, round: 0 } });
  assert.equal(stale.status === "rejected" && stale.reason, "wrong_round");

  // Missing third partial: the round stalls, nothing is broadcast.
  world.expectAccepted({ type: "submitPartial", partial: p1 });
  assert.equal(world.machine.liveRoundFinalized(), false);
  assert.equal(world.machine.broadcasts(0).length, 0);
  const done = world.expectAccepted({ type: "submitPartial", partial: p2 });
  assert.ok(done.status === "accepted" && done.finalized, "third partial finalizes the round");
  assert.equal(done.finalized.participants, 5);
  assert.equal(done.finalized.reservations.length, 1, "the one talker's footprint survived");
  assert.deepEqual(world.machine.counters().rejected, {
    malformed: 1,
    participants_mismatch: 1,
    participants_not_in_round: 1,
    wrong_length: 2,
    wrong_round: 2,
  });
  assert.equal(world.machine.counters().ignored.submitPartial, 1);
});
