// Key epochs and the per-epoch chains (docs/adr/0006): the epoch arithmetic,
// both sides' roots, and a chain that survives persisting at any round.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  PadRatchet,
  clientIdOf,
  epochOfRound,
  epochRounds,
  firstRoundOfEpoch,
  roundParams,
  serverIdOf,
  sharedSecret,
  type PadContext,
} from "../src/index.js";
import { GROUP_ID, keyPair } from "./fixtures.js";

test("epochRounds: about 10 s of rounds; interactive → 10, archival → 1, never 0", () => {
  assert.equal(epochRounds(roundParams("interactive").roundPeriodMs), 10);
  assert.equal(epochRounds(roundParams("archival").roundPeriodMs), 1);
  assert.equal(epochRounds(800), 13);
  assert.equal(epochRounds(60_000), 1);
  assert.throws(() => epochRounds(0), { code: "ZIPNET_PARAMS_INVALID" });
  assert.throws(() => epochOfRound(0, 1000), { code: "ZIPNET_PARAMS_INVALID" });
});

test("epochs partition the rounds from 1: each holds E consecutive rounds starting at firstRoundOfEpoch", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 120_000 }), fc.integer({ min: 1, max: 1_000_000 }), (period, round) => {
      const e = epochOfRound(round, period);
      const first = firstRoundOfEpoch(e, period);
      assert.ok(first <= round && round < first + epochRounds(period));
      assert.equal(epochOfRound(first, period), e);
      if (first > 1) assert.equal(epochOfRound(first - 1, period), e - 1);
    }),
  );
});

const params = { ...roundParams("interactive"), messageSlots: 2, reservationSlots: 8 };
const client = keyPair("ep-client");
const server = keyPair("ep-server-epoch-3");
const clientId = clientIdOf(client.publicKey);
const serverId = serverIdOf(keyPair("ep-server-identity").publicKey);
const ctx = (round: number): PadContext => ({ groupId: GROUP_ID, round, slot: 9, params, clientId, serverId });
const at = { groupId: GROUP_ID, clientId, serverId, epoch: 3, startRound: firstRoundOfEpoch(3, params.roundPeriodMs) };

test("forEpoch: client (own key × server epoch key) and server (epoch key × client key) derive the same pads; another epoch derives others", () => {
  const c = PadRatchet.forEpoch(sharedSecret(client.privateKey, server.publicKey), at);
  const s = PadRatchet.forEpoch(sharedSecret(server.privateKey, client.publicKey), at);
  const other = PadRatchet.forEpoch(sharedSecret(server.privateKey, client.publicKey), { ...at, epoch: 4 });
  for (let r = at.startRound; r < at.startRound + 10; r++) {
    const a = c.padKey(ctx(r));
    assert.deepEqual(s.padKey(ctx(r)), a);
    assert.notDeepEqual(other.padKey(ctx(r)), a);
  }
});

test("exportState/fromState at any round resumes the same chain; skipTo erases the rounds before it", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9 }), (k) => {
      const ref = PadRatchet.forEpoch(sharedSecret(server.privateKey, client.publicKey), at);
      const saved = PadRatchet.forEpoch(sharedSecret(server.privateKey, client.publicKey), at);
      saved.skipTo(at.startRound + k);
      const resumed = PadRatchet.fromState(saved.exportState(), { groupId: GROUP_ID, serverId });
      assert.equal(resumed.nextRound, at.startRound + k);
      if (k > 0) assert.throws(() => resumed.padKey(ctx(at.startRound + k - 1)), { code: "ZIPNET_RATCHET_PAST" });
      const r = at.startRound + 9;
      assert.deepEqual(resumed.padKey(ctx(r)), ref.padKey(ctx(r)));
    }),
    { numRuns: 10 },
  );
});
