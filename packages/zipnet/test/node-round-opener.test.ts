// When the leader opens a round and what it stamps on it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { epochOfRound, lastInSlot, nextRound, roundParams, slotForRound, type ClientInfo, type LiveRound, type AnnouncedEpochKey, type ServerInfo } from "../src/index.js";

const params = roundParams({ roundPeriodMs: 1000, minParticipants: 2, maxParticipants: 4, foldDeadlineMs: 500, roundDeadlineMs: 950 });
const slot = { genesisUnixMs: 0, slotDurationMs: 4000, cutoffMs: 0 };
const key = (i: number): ClientInfo => ({ id: i.toString(16).padStart(64, "0"), publicKey: new Uint8Array(32).fill(i) });
const servers: ServerInfo[] = [key(101), key(102), key(103)];
const clients = (n: number): ClientInfo[] => Array.from({ length: n }, (_, i) => key(i + 1));
/** Every server's key for epoch e: distinct from its identity key and from other epochs'. */
const epochKey = (s: ServerInfo, e: number): Uint8Array => new Uint8Array(32).fill(200 + e).map((b, i) => (i === 0 ? s.publicKey[0]! : b));
const allAnnounced = (e: number): AnnouncedEpochKey[] => servers.map((s) => ({ server: s.id, epoch: e, publicKey: epochKey(s, e) }));
const base = { nowMs: 10_000, live: null, openedAtMs: null, clients: clients(3), clientFirstEpoch: () => 0, servers, epochKeys: allAnnounced, expectedServers: 3, params, slot };
const live = (round: number): LiveRound => ({ round, slot: 3, lastInSlot: false, clients: clients(3).map((c) => c.id), servers, params });

test("nextRound: the reasons it waits", () => {
  assert.deepEqual(nextRound({ ...base, servers: servers.slice(0, 2) }), { open: false, why: "servers_missing" });
  assert.deepEqual(nextRound({ ...base, clients: clients(1) }), { open: false, why: "too_few_clients" });
  assert.deepEqual(nextRound({ ...base, live: live(7), openedAtMs: 9_500 }), { open: false, why: "period_not_over" });
});

test("nextRound: opens the next consecutive round once the period passed, even if the live one stalled", () => {
  const d = nextRound({ ...base, live: live(7), openedAtMs: 9_000 });
  assert.ok(d.open);
  assert.equal(d.live.round, 8);
  assert.deepEqual(d.live.servers, servers.map((s) => ({ id: s.id, publicKey: epochKey(s, epochOfRound(8, params.roundPeriodMs)) })), "each server's key for the round's epoch, not its identity key");
  assert.deepEqual(d.live.params, params);
});

test("nextRound: at most maxParticipants clients, lowest ids first (registry order)", () => {
  const d = nextRound({ ...base, clients: clients(6) });
  assert.ok(d.open);
  assert.deepEqual(d.live.clients, clients(4).map((c) => c.id));
  assert.equal(d.live.round, 1);
});

test("nextRound: slot and lastInSlot follow window.ts for a round anchored at its opening", () => {
  for (const nowMs of [0, 2_999, 3_050, 3_999, 7_050, 123_456]) {
    const d = nextRound({ ...base, nowMs, live: live(4), openedAtMs: nowMs - 1000 });
    assert.ok(d.open);
    const rt = { firstRoundUnixMs: nowMs - 4 * 1000, roundPeriodMs: 1000, roundDeadlineMs: 950 };
    assert.equal(d.live.slot, slotForRound(rt, slot, 5), `slot at ${nowMs}`);
    assert.equal(d.live.lastInSlot, lastInSlot(rt, slot, 5), `lastInSlot at ${nowMs}`);
    // The round's deadline falls before the stamped slot starts.
    assert.ok(nowMs + 950 <= d.live.slot * 4000, `deadline before slot ${d.live.slot} at ${nowMs}`);
  }
});

test("nextRound: waits for every server's key of the epoch the round opens, naming who is missing", () => {
  // 1 s rounds: epochs of 10 rounds, so round 11 opens epoch 1.
  const onlyTwo = (e: number): AnnouncedEpochKey[] => allAnnounced(e).slice(0, 2);
  assert.deepEqual(nextRound({ ...base, live: live(10), openedAtMs: 9_000, epochKeys: onlyTwo }), { open: false, why: "epoch_keys_missing", epoch: 1, missing: [servers[2]!.id] });
  assert.deepEqual(nextRound({ ...base, epochKeys: () => [] }), { open: false, why: "epoch_keys_missing", epoch: 0, missing: servers.map((s) => s.id) });
  const d = nextRound({ ...base, live: live(10), openedAtMs: 9_000 });
  assert.ok(d.open);
  assert.equal(d.live.round, 11);
  assert.deepEqual(d.live.servers.map((s) => s.publicKey), servers.map((s) => epochKey(s, 1)));
});

test("nextRound: a client registered during an epoch is listed from the next epoch on", () => {
  const firstEpoch = (id: string): number => (id === clients(4)[3]!.id ? 1 : 0);
  const inEpoch0 = nextRound({ ...base, clients: clients(4), clientFirstEpoch: firstEpoch, live: live(5), openedAtMs: 9_000 });
  assert.ok(inEpoch0.open);
  assert.deepEqual(inEpoch0.live.clients, clients(3).map((c) => c.id));
  const inEpoch1 = nextRound({ ...base, clients: clients(4), clientFirstEpoch: firstEpoch, live: live(10), openedAtMs: 9_000 });
  assert.ok(inEpoch1.open);
  assert.deepEqual(inEpoch1.live.clients, clients(4).map((c) => c.id));
  // Admitted clients, not registered ones, count towards minParticipants.
  assert.deepEqual(nextRound({ ...base, clients: clients(2), clientFirstEpoch: (id) => (id === clients(2)[1]!.id ? 1 : 0) }), { open: false, why: "too_few_clients" });
});
