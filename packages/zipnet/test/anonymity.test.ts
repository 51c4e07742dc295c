// Anonymity against the aggregator plus two of three servers (the anytrust
// argument of ZIPNet §security / Dissent): the honest server's pad for each
// client is uniform and unknown to the adversary, so
//  (1) every envelope is uniform whatever its plaintext, and
//  (2) for two worlds that differ only by swapping the senders of two
//      messages, the map H_i ↦ H_i ⊕ Δ on the two senders' honest pads
//      (Δ = difference of their plaintexts) is a bijection of the honest pad
//      space that makes the adversary's whole view byte-identical: the
//      envelopes match, Δ cancels in the honest server's partial, and the
//      broadcast is the same. Hence the views have the same distribution.
//  (3) the same holds between "A talks, B sends cover" and "B talks, A sends
//      cover" (Δ = the talker's plaintext): the aggregator does not even learn
//      who talked, because an envelope carries nothing but round, client id and
//      a fixed-length vector (docs/adr/0005) — its encoding is part of the view.
// The honest server's AES-CTR pads are modelled as uniform bytes (the PRF
// assumption); the adversary's pads are the real AES-128-CTR pads.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Aggregator,
  EnvelopeRateLimiter,
  decodeClientEnvelope,
  encodeClientEnvelope,
  buildPlaintext,
  encodeTx2718,
  falsificationTag,
  finalizeRound,
  sealVector,
  unblindPartial,
  vectorBytes,
  xorInto,
  type BroadcastRecord,
  type ClientEnvelope,
  type LiveRound,
  type PadKey,
  type RoundPlan,
} from "../src/index.js";
import { seededRng } from "./fixtures.js";

const params = {
  roundPeriodMs: 1000,
  minParticipants: 2,
  maxParticipants: 8,
  foldDeadlineMs: 500,
  roundDeadlineMs: 950,
  messageSlots: 4,
  reservationSlots: 8,
};
const N = vectorBytes(params);
const CLIENTS = ["11", "22", "33", "44"].map((b) => b.repeat(32));
const ROUND = 5;

interface View {
  envelopes: ClientEnvelope[];
  /** The envelopes as the aggregator receives them on the wire. */
  wire: Uint8Array[];
  /** What the aggregator's fold reports (rejections, and with the record its participants). */
  rejections: Record<string, number>;
  aggregate: Uint8Array;
  adversaryPartials: Uint8Array[];
  honestPartial: Uint8Array;
  record: BroadcastRecord;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = a.slice();
  xorInto(out, b);
  return out;
}

/** The adversary's full transcript of one round, given each client's plan and honest pad. */
function transcript(plans: RoundPlan[], honest: Uint8Array[], adversaryKeys: PadKey[][], previous: BroadcastRecord): View {
  const live: LiveRound = { round: ROUND, slot: 1, lastInSlot: false, clients: CLIENTS, servers: [], params };
  const envelopes = plans.map((plan, i) => {
    const vector = sealVector(buildPlaintext(params, plan), adversaryKeys[i]!);
    xorInto(vector, honest[i]!);
    return { round: ROUND, clientId: CLIENTS[i]!, vector };
  });
  const wire = envelopes.map((e) => encodeClientEnvelope(e));
  // The aggregator works from the decoded wire bytes, as the node does.
  const agg = new Aggregator(live, new EnvelopeRateLimiter({ maxEnvelopes: 1, windowRounds: 1 }));
  for (const w of wire) assert.deepEqual(agg.offer(decodeClientEnvelope(w)), { ok: true });
  const closed = agg.close();
  assert.ok(closed.ok);
  const adversaryPartials = [0, 1].map((s) => unblindPartial(adversaryKeys.map((ks) => ks[s]!), N));
  const honestPartial = new Uint8Array(N);
  for (const h of honest) xorInto(honestPartial, h);
  const { record } = finalizeRound({ live, aggregate: closed.aggregate, partials: [...adversaryPartials, honestPartial], previous });
  return { envelopes, wire, rejections: { ...agg.rejections }, aggregate: closed.aggregate.vector, adversaryPartials, honestPartial, record };
}

test("swapping the senders of two messages leaves the adversary's view identical under a pad bijection", () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.constantFrom([0, 1], [0, 3], [2, 1], [3, 2]),
      (seed, tx1, tx2, [a, b]) => {
        const rng = seededRng(seed);
        const adversaryKeys = CLIENTS.map(() => [0, 1].map(() => ({ key: rng.bytes(16), iv: rng.bytes(16) })));
        // Round r-1 scheduled slot 0 to footprint f0 and slot 1 to f1 (public record).
        const f0 = rng.bytes(16);
        const f1 = rng.bytes(16);
        const previous: BroadcastRecord = {
          round: ROUND - 1, slot: 1, lastInSlot: false, participants: 4,
          reservations: [{ index: 2, footprint: f0 }, { index: 6, footprint: f1 }], messages: [], collisions: [],
        };
        const m1 = encodeTx2718(tx1);
        const m2 = encodeTx2718(tx2);
        const msg = (slotIndex: number, fp: Uint8Array, datum: Uint8Array): RoundPlan => ({
          round: ROUND, reservation: null, message: { slotIndex, datum, tag: falsificationTag(fp, ROUND, slotIndex, datum) },
        });
        const cover: RoundPlan = { round: ROUND, reservation: null, message: null };
        const worldA = CLIENTS.map(() => cover);
        worldA[a!] = msg(0, f0, m1);
        worldA[b!] = msg(1, f1, m2);
        const worldB = CLIENTS.map(() => cover);
        worldB[a!] = msg(1, f1, m2);
        worldB[b!] = msg(0, f0, m1);

        const honestA = CLIENTS.map(() => rng.bytes(N));
        const delta = xor(buildPlaintext(params, worldA[a!]!), buildPlaintext(params, worldB[a!]!));
        const honestB = honestA.map((h, i) => (i === a || i === b ? xor(h, delta) : h));

        const viewA = transcript(worldA, honestA, adversaryKeys, previous);
        const viewB = transcript(worldB, honestB, adversaryKeys, previous);
        assert.deepEqual(viewB, viewA);
        // Sanity: both messages were delivered, so the identical view is not vacuous.
        assert.deepEqual(viewA.record.messages.map((m) => m.datum), [m1, m2]);
      },
    ),
    { numRuns: 40 },
  );
});

test("an envelope is uniform whatever the plaintext: talker and cover are indistinguishable byte-wise", () => {
  const rng = seededRng("uniform");
  const adversary = [0, 1].map(() => ({ key: rng.bytes(16), iv: rng.bytes(16) }));
  const fp = rng.bytes(16);
  const datum = encodeTx2718(new Uint8Array(500).fill(0x41));
  const talker: RoundPlan = { round: ROUND, reservation: { index: 3, footprint: fp }, message: { slotIndex: 2, datum, tag: falsificationTag(fp, ROUND, 2, datum) } };
  const cover: RoundPlan = { round: ROUND, reservation: null, message: null };
  // Chi-square over byte values of many envelopes (255 degrees of freedom;
  // 99.99% critical value ≈ 347). A plaintext-dependent bias would show here.
  const chi = (plan: RoundPlan): number => {
    const counts = new Array<number>(256).fill(0);
    let total = 0;
    for (let s = 0; s < 64; s++) {
      const v = sealVector(buildPlaintext(params, plan), adversary);
      xorInto(v, rng.bytes(N));
      for (const x of v) counts[x]!++;
      total += v.length;
    }
    const expected = total / 256;
    return counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
  };
  const plainChi = (() => {
    const counts = new Array<number>(256).fill(0);
    const p = buildPlaintext(params, talker);
    for (const x of p) counts[x]!++;
    const expected = p.length / 256;
    return counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
  })();
  assert.ok(plainChi > 10_000, "the plaintext itself is far from uniform");
  assert.ok(chi(talker) < 347, `talker envelope chi² ${chi(talker)}`);
  assert.ok(chi(cover) < 347, `cover envelope chi² ${chi(cover)}`);
});

/**
 * Byte ranges of an encoded envelope that are not the vector: version, round,
 * client id and vector length. Between a talker's and a cover sender's
 * envelope only the client id may differ here.
 */
function header(bytes: Uint8Array): { version: number; round: string; clientId: string; vectorLength: number } {
  const b = Buffer.from(bytes);
  return { version: b[0]!, round: b.subarray(1, 9).toString("hex"), clientId: b.subarray(9, 41).toString("hex"), vectorLength: b.readUInt32LE(41) };
}

test("client A talks and B sends cover ≡ B talks and A sends cover: the adversary's view is identical under a pad bijection", () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.constantFrom([0, 1], [1, 0], [0, 3], [2, 1], [3, 2]),
      fc.constantFrom("message", "reservation", "both"),
      (seed, tx, [a, b], kind) => {
        const rng = seededRng(seed);
        const adversaryKeys = CLIENTS.map(() => [0, 1].map(() => ({ key: rng.bytes(16), iv: rng.bytes(16) })));
        // Round r-1 scheduled slot 0 to footprint f0 (public record); whoever talks in r owns it.
        const f0 = rng.bytes(16);
        const previous: BroadcastRecord = {
          round: ROUND - 1, slot: 1, lastInSlot: false, participants: 4,
          reservations: [{ index: 2, footprint: f0 }], messages: [], collisions: [],
        };
        const m = encodeTx2718(tx);
        const footprint = rng.bytes(16);
        const talk: RoundPlan = {
          round: ROUND,
          reservation: kind === "message" ? null : { index: rng.int(params.reservationSlots), footprint },
          message: kind === "reservation" ? null : { slotIndex: 0, datum: m, tag: falsificationTag(f0, ROUND, 0, m) },
        };
        const cover: RoundPlan = { round: ROUND, reservation: null, message: null };
        const worldA = CLIENTS.map(() => cover);
        worldA[a!] = talk;
        const worldB = CLIENTS.map(() => cover);
        worldB[b!] = talk;

        // H_a ↦ H_a ⊕ Δ, H_b ↦ H_b ⊕ Δ with Δ the talker's plaintext: a bijection of the honest pads.
        const honestA = CLIENTS.map(() => rng.bytes(N));
        const delta = buildPlaintext(params, talk);
        const honestB = honestA.map((h, i) => (i === a || i === b ? xor(h, delta) : h));

        const viewA = transcript(worldA, honestA, adversaryKeys, previous);
        const viewB = transcript(worldB, honestB, adversaryKeys, previous);
        assert.deepEqual(viewB, viewA);
        assert.deepEqual(viewA.rejections, { wrong_round: 0, unknown_client: 0, wrong_length: 0, duplicate: 0, rate_limited: 0, closed: 0 });
        // Not vacuous: what was said is public, only who said it is hidden.
        if (talk.message) assert.deepEqual(viewA.record.messages.map((x) => x.datum), [m]);
        if (talk.reservation) assert.deepEqual(viewA.record.reservations, [talk.reservation]);

        // Within one world, the talker's and the cover sender's wire envelopes differ
        // structurally in nothing: same length, same header except the client id.
        const ht = header(viewA.wire[a!]!);
        const hc = header(viewA.wire[b!]!);
        assert.equal(viewA.wire[a!]!.length, viewA.wire[b!]!.length);
        assert.deepEqual({ ...ht, clientId: null }, { ...hc, clientId: null });
        assert.equal(ht.vectorLength, N);
        assert.deepEqual(Object.keys(decodeClientEnvelope(viewA.wire[a!]!)), Object.keys(decodeClientEnvelope(viewA.wire[b!]!)));
        assert.equal(new Set(viewA.wire.map((w) => w.length)).size, 1, "every envelope of the round has one length");
      },
    ),
    { numRuns: 40 },
  );
});
