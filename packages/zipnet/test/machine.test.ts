import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_PARTICIPANTS, ZipnetError, ZipnetMachine, clientIdOf, encodeCommand, serverIdOf, type ApplyResult, type LiveRound } from "../src/index.js";
import { commandArb } from "./arbitraries.js";
import { World, epochKeyOf, keyPair, signedEpochKey, signingKeyOf, txOf } from "./fixtures.js";
import { encodeTx2718 } from "../src/index.js";

// 5 s rounds: key epochs of two rounds, so short logs cross epochs.
const params = {
  roundPeriodMs: 5000,
  minParticipants: 2,
  maxParticipants: 8,
  foldDeadlineMs: 500,
  roundDeadlineMs: 950,
  messageSlots: 2,
  reservationSlots: 8,
};

function reason(r: ApplyResult): string {
  return r.status === "rejected" ? r.reason : r.status;
}

/** A real command log: registrations and four rounds with traffic. */
async function realLog(): Promise<Uint8Array[]> {
  const w = new World(params, 3, 4);
  w.clients.forEach((c, i) => c.scheduler.enqueue(encodeTx2718(txOf(`m${i}`))));
  for (let r = 1; r <= 4; r++) await w.round(r);
  return w.log;
}

function replay(log: readonly Uint8Array[]): { machine: ZipnetMachine; results: ApplyResult[] } {
  const machine = new ZipnetMachine();
  const results = log.map((c, i) => machine.apply(c, { index: i + 1, term: 1 }));
  return { machine, results };
}

describe("ZipnetMachine rules", () => {
  test("OpenRound: consecutive rounds, exact roster, registered clients, bounded count", () => {
    const w = new World(params, 3, 3);
    const live = w.live(1);
    assert.equal(reason(w.apply({ type: "openRound", live: { ...live, round: 2 } })), "round_not_next");
    assert.equal(reason(w.apply({ type: "openRound", live: { ...live, servers: live.servers.slice(1) } })), "servers_mismatch");
    const stranger = clientIdOf(keyPair("nobody").publicKey);
    assert.equal(reason(w.apply({ type: "openRound", live: { ...live, clients: [...live.clients, stranger].sort() } })), "unregistered_client");
    // The LiveRound decoder already bounds clients by maxParticipants.
    const crowded = w.apply({ type: "openRound", live: { ...live, params: { ...params, maxParticipants: 2 } } });
    assert.equal(reason(crowded), "malformed");
    assert.match(crowded.status === "rejected" ? crowded.detail : "", /clients\.count/);
    assert.equal(w.machine.liveRound(), null, "rejected commands never open a round");
    assert.equal(reason(w.apply({ type: "openRound", live })), "accepted");
    assert.equal(reason(w.apply({ type: "openRound", live })), "ignored", "exact repeat is idempotent");
    assert.equal(reason(w.apply({ type: "openRound", live: w.live(2) })), "accepted");
    assert.equal(w.machine.counters().roundsAbandoned, 1, "round 1 never finalized");
    assert.equal(w.machine.liveRound()?.round, 2);
  });

  test("the client registry is bounded (every server keeps a chain per client): past MAX_PARTICIPANTS, registry_full", () => {
    const m = new ZipnetMachine();
    let index = 0;
    const register = (publicKey: Uint8Array): ApplyResult =>
      m.apply(encodeCommand({ type: "registerClient", client: { id: clientIdOf(publicKey), publicKey } }), { index: ++index, term: 1 });
    const key = (i: number): Uint8Array => {
      const k = new Uint8Array(32);
      new DataView(k.buffer).setUint32(0, i + 1);
      return k;
    };
    for (let i = 0; i < MAX_PARTICIPANTS; i++) assert.equal(register(key(i)).status, "accepted");
    const over = register(key(MAX_PARTICIPANTS));
    assert.equal(reason(over), "registry_full");
    assert.equal(register(key(0)).status, "ignored", "a known client re-registering is still a duplicate, not an error");
    assert.equal(m.clientRegistry().length, MAX_PARTICIPANTS);
  });

  test("partials before the aggregate, from strangers, and conflicting aggregates are refused", async () => {
    const w = new World(params, 3, 3);
    const live = w.live(1);
    w.expectAccepted({ type: "openRound", live });
    const agg = w.fold(live, w.seal(live, null));
    const partials = await w.partials(live, agg);
    assert.equal(reason(w.apply({ type: "submitPartial", partial: partials[0]! })), "no_aggregate");
    assert.equal(reason(w.apply({ type: "submitAggregate", aggregate: { ...agg, participants: agg.participants.slice(0, 1) } })), "too_few_participants");
    w.expectAccepted({ type: "submitAggregate", aggregate: agg });
    assert.equal(reason(w.apply({ type: "submitAggregate", aggregate: agg })), "ignored");
    const other = { ...agg, vector: agg.vector.slice().fill(1, 0, 4) };
    assert.equal(reason(w.apply({ type: "submitAggregate", aggregate: other })), "aggregate_conflict");
    assert.equal(reason(w.apply({ type: "submitPartial", partial: { ...partials[0]!, serverId: "cc".repeat(32) } })), "unknown_server");
  });

  test("late aggregates and partials for a finalized round are refused as round_finalized", async () => {
    const w = new World(params, 3, 3);
    await w.round(1);
    // Replay the round's aggregate and partials, as a retrying proposer would.
    const late = w.log.slice(-4);
    for (const cmd of late) assert.equal(reason(w.apply(cmd)), "round_finalized");
    assert.equal(w.machine.broadcasts(0).length, 1);
    assert.equal(w.machine.counters().rejected.round_finalized, 4);
  });

  test("registration binds ids to keys; repeats are ignored", () => {
    const m = new ZipnetMachine();
    const kp = keyPair("reg");
    const ok = { type: "registerClient" as const, client: { id: clientIdOf(kp.publicKey), publicKey: kp.publicKey } };
    assert.equal(reason(m.apply(encodeCommand(ok), { index: 1, term: 1 })), "accepted");
    assert.equal(reason(m.apply(encodeCommand(ok), { index: 2, term: 1 })), "ignored");
    const squat = { type: "registerClient" as const, client: { id: "ab".repeat(32), publicKey: kp.publicKey } };
    assert.equal(reason(m.apply(encodeCommand(squat), { index: 3, term: 1 })), "id_mismatch");
    assert.equal(m.clientRegistry().length, 1);
    assert.deepEqual(m.counters().rejected, { id_mismatch: 1 });
  });

  test("a version 1 snapshot (before key epochs) is refused with the fix", () => {
    const m = new ZipnetMachine();
    const v1 = m.snapshot();
    v1[0] = 1;
    assert.throws(() => m.restore(v1), (e: unknown) => {
      assert.ok(e instanceof ZipnetError);
      assert.equal(e.code, "ZIPNET_SNAPSHOT_INVALID");
      assert.equal(e.details.got, 1);
      assert.match(String(e.details.fix), /empty data dir/);
      return true;
    });
  });

  test("a garbage snapshot is a typed error", () => {
    const m = new ZipnetMachine();
    assert.throws(() => m.restore(new Uint8Array([1, 0, 0])), { code: "ZIPNET_SNAPSHOT_INVALID" });
    assert.throws(() => m.restore(new Uint8Array([9])), { code: "ZIPNET_SNAPSHOT_INVALID" });
    const good = m.snapshot();
    assert.throws(() => m.restore(new Uint8Array([...good, 0])), (e: unknown) => e instanceof ZipnetError && /trailing/.test(e.message));
  });
});

describe("key epochs (docs/adr/0006)", () => {
  const announce = (w: World, i: number, epoch: number, publicKey = epochKeyOf(w.servers[i]!, epoch).publicKey) =>
    reason(w.apply({ type: "announceServerKey", key: signedEpochKey(w.servers[i]!, epoch, publicKey) }));

  test("AnnounceServerKey: registered servers only, the next epoch only, never changed; kept for the live and next epochs", () => {
    const w = new World(params, 3, 3);
    assert.equal(w.machine.serverEpochKeys(0).length, 3, "the world announced epoch 0 before any round");
    const stranger = signingKeyOf("stranger-server");
    assert.equal(reason(w.apply({ type: "announceServerKey", key: signedEpochKey({ id: serverIdOf(stranger.publicKey), kp: stranger }, 0, keyPair("x").publicKey) })), "unknown_server");
    // The attack the signature stops: anyone else naming a server's next epoch key (signed by another key, or not at all).
    const victim = w.servers[1]!;
    const forged = signedEpochKey({ id: victim.id, kp: stranger }, 0, keyPair("attacker").publicKey);
    assert.equal(reason(w.apply({ type: "announceServerKey", key: forged })), "bad_signature");
    assert.equal(reason(w.apply({ type: "announceServerKey", key: { ...forged, signature: new Uint8Array(64) } })), "bad_signature");
    const genuine = signedEpochKey(victim, 0, epochKeyOf(victim, 0).publicKey);
    assert.equal(reason(w.apply({ type: "announceServerKey", key: { ...genuine, publicKey: keyPair("swapped").publicKey } })), "bad_signature", "a signature covers the key it was made for");
    assert.equal(announce(w, 0, 0), "ignored", "identical re-announce is idempotent");
    assert.equal(announce(w, 0, 0, keyPair("other").publicKey), "epoch_key_conflict");
    assert.equal(announce(w, 0, 1), "epoch_not_next", "nothing is open: only epoch 0 may be announced");
    w.expectAccepted({ type: "openRound", live: w.live(1) });
    assert.equal(announce(w, 0, 0, keyPair("late").publicKey), "epoch_key_conflict");
    assert.equal(announce(w, 1, 2), "epoch_not_next");
    assert.equal(announce(w, 1, 1), "accepted");
    w.expectAccepted({ type: "openRound", live: w.live(2) });
    // Round 3 opens epoch 1: live() announces the two missing keys first.
    w.expectAccepted({ type: "openRound", live: w.live(3) });
    assert.deepEqual(w.machine.serverEpochKeys(0), [], "epoch 0's keys are pruned once epoch 1 is live");
    assert.equal(w.machine.serverEpochKeys(1).length, 3);
    assert.equal(announce(w, 2, 1, keyPair("after").publicKey), "epoch_key_conflict");
    assert.deepEqual(w.machine.counters().rejected, { unknown_server: 1, bad_signature: 3, epoch_key_conflict: 3, epoch_not_next: 2 });
  });

  test("OpenRound lists exactly the announced keys of its epoch; identity keys are refused", () => {
    const w = new World(params, 3, 3);
    const live = w.live(1);
    const identity: LiveRound = { ...live, servers: w.servers.map((s) => ({ id: s.id, publicKey: s.kp.publicKey })) };
    const r = w.apply({ type: "openRound", live: identity });
    assert.equal(reason(r), "servers_mismatch");
    assert.match(r.status === "rejected" ? r.detail : "", /announced key for epoch 0/);
    w.expectAccepted({ type: "openRound", live });
    w.expectAccepted({ type: "openRound", live: w.live(2) });
    // Only two servers announce epoch 1: round 3 waits, with the missing server named.
    announce(w, 0, 1);
    announce(w, 1, 1);
    const next = { ...live, round: 3, servers: w.servers.map((s) => ({ id: s.id, publicKey: epochKeyOf(s, 1).publicKey })) };
    const missing = w.apply({ type: "openRound", live: next });
    assert.equal(reason(missing), "epoch_key_missing");
    assert.match(missing.status === "rejected" ? missing.detail : "", new RegExp(`epoch 1 by ${w.servers[2]!.id}`));
    announce(w, 2, 1);
    assert.equal(reason(w.apply({ type: "openRound", live: next })), "accepted");
  });

  test("a client registered during an epoch is refused in that epoch's rounds and admitted from the next", () => {
    const w = new World(params, 3, 3);
    w.expectAccepted({ type: "openRound", live: w.live(1) });
    const late = keyPair("late-client");
    const lateId = clientIdOf(late.publicKey);
    w.expectAccepted({ type: "registerClient", client: { id: lateId, publicKey: late.publicKey } });
    assert.equal(w.machine.clientFirstEpoch(lateId), 1);
    assert.deepEqual(w.machine.clientsAdmitted(0).map((c) => c.id).sort(), w.clients.map((c) => c.id).sort());
    const withLate = (l: LiveRound): LiveRound => ({ ...l, clients: [...l.clients, lateId].sort() });
    const r = w.apply({ type: "openRound", live: withLate(w.live(2)) });
    assert.equal(reason(r), "client_not_admitted");
    assert.match(r.status === "rejected" ? r.detail : "", /from epoch 1, the round is in epoch 0/);
    w.expectAccepted({ type: "openRound", live: w.live(2) });
    w.expectAccepted({ type: "openRound", live: withLate(w.live(3)) });
    assert.ok(w.machine.liveRound()!.clients.includes(lateId));
  });

  // Model: which announcements and OpenRounds the rules accept, over random sequences.
  test("announce / open / register sequences follow a simple model (property)", () => {
    const E = 2;
    const epochOf = (round: number) => Math.floor((round - 1) / E);
    const keyCache = new Map<string, Uint8Array>();
    const keyFor = (label: string) => {
      let k = keyCache.get(label);
      if (!k) keyCache.set(label, (k = keyPair(label).publicKey));
      return k;
    };
    const extra = Array.from({ length: 5 }, (_, i) => keyPair(`model-client-${i}`));
    const op = fc.oneof(
      fc.record({ kind: fc.constant("announce" as const), server: fc.integer({ min: 0, max: 3 }), ahead: fc.integer({ min: -1, max: 2 }), variant: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ kind: fc.constant("open" as const), late: fc.boolean(), identity: fc.boolean() }),
      fc.record({ kind: fc.constant("register" as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const m = new ZipnetMachine();
        let index = 0;
        const apply = (c: Parameters<typeof encodeCommand>[0]) => reason(m.apply(encodeCommand(c), { index: ++index, term: 1 }));
        const servers = [0, 1, 2].map((i) => signingKeyOf(`model-server-${i}`)).map((kp) => ({ id: serverIdOf(kp.publicKey), kp }));
        servers.sort((a, b) => (a.id < b.id ? -1 : 1));
        for (const s of servers) apply({ type: "registerServer", server: { id: s.id, publicKey: s.kp.publicKey } });
        const clients = new Map<string, number>();
        for (const i of [0, 1]) {
          const kp = keyPair(`model-base-${i}`);
          apply({ type: "registerClient", client: { id: clientIdOf(kp.publicKey), publicKey: kp.publicKey } });
          clients.set(clientIdOf(kp.publicKey), 0);
        }
        let round = 0;
        const keys = new Map<number, Map<number, number>>();
        const liveEpoch = () => (round === 0 ? -1 : epochOf(round));
        for (const o of ops) {
          if (o.kind === "announce") {
            const epoch = Math.max(0, liveEpoch() + o.ahead);
            const signer = o.server === 3 ? (() => { const kp = signingKeyOf("model-unregistered"); return { id: serverIdOf(kp.publicKey), kp }; })() : servers[o.server]!;
            const got = apply({ type: "announceServerKey", key: signedEpochKey(signer, epoch, keyFor(`${o.server}/${epoch}/${o.variant}`)) });
            const have = keys.get(epoch)?.get(o.server);
            let want: string;
            if (o.server === 3) want = "unknown_server";
            else if (have !== undefined) want = have === o.variant ? "ignored" : "epoch_key_conflict";
            else if (epoch !== liveEpoch() + 1) want = "epoch_not_next";
            else {
              want = "accepted";
              if (!keys.has(epoch)) keys.set(epoch, new Map());
              keys.get(epoch)!.set(o.server, o.variant);
            }
            assert.equal(got, want, `announce ${JSON.stringify(o)} at round ${round}`);
          } else if (o.kind === "register") {
            const kp = extra[clients.size - 2];
            if (!kp) continue;
            assert.equal(apply({ type: "registerClient", client: { id: clientIdOf(kp.publicKey), publicKey: kp.publicKey } }), "accepted");
            clients.set(clientIdOf(kp.publicKey), liveEpoch() + 1);
          } else {
            const r = round + 1;
            const e = epochOf(r);
            const announced = keys.get(e);
            const admitted = [...clients].filter(([, f]) => f <= e).map(([id]) => id);
            const lateOne = [...clients].find(([, f]) => f > e)?.[0];
            const listed = o.late && lateOne ? [...admitted, lateOne].sort() : admitted.sort();
            const live: LiveRound = {
              round: r,
              slot: r,
              lastInSlot: false,
              clients: listed,
              servers: servers.map((s, i) => ({ id: s.id, publicKey: o.identity ? s.kp.publicKey : keyFor(`${i}/${e}/${announced?.get(i) ?? 0}`) })),
              params,
            };
            let want: string;
            if (!announced || announced.size < 3) want = "epoch_key_missing";
            else if (o.identity) want = "servers_mismatch";
            else if (o.late && lateOne) want = "client_not_admitted";
            else want = "accepted";
            assert.equal(apply({ type: "openRound", live }), want, `open round ${r}`);
            if (want === "accepted") {
              round = r;
              for (const k of [...keys.keys()]) if (k < e) keys.delete(k);
            }
          }
          // The machine keeps what the model keeps: the live epoch and the next, no more.
          for (const e of [liveEpoch(), liveEpoch() + 1]) {
            const model = [...(keys.get(e) ?? new Map<number, number>())].map(([i, v]) => ({ server: servers[i]!.id, epoch: e, publicKey: keyFor(`${i}/${e}/${v}`) }));
            assert.deepEqual(m.serverEpochKeys(e), model.sort((a, b) => (a.server < b.server ? -1 : 1)));
          }
          assert.deepEqual(m.serverEpochKeys(liveEpoch() - 1), []);
        }
        const c = new ZipnetMachine();
        c.restore(m.snapshot());
        assert.deepEqual(c.snapshot(), m.snapshot());
      }),
      { numRuns: 80 },
    );
  });
});

describe("ZipnetMachine determinism (property)", async () => {
  const log = await realLog();

  // A schedule mixes the real log (in order, with drops and repeats) with
  // arbitrary commands and bit-flipped copies, as a faulty leader might commit.
  const op = fc.oneof(
    fc.record({ kind: fc.constant("real" as const), skip: fc.boolean(), repeat: fc.boolean() }),
    fc.record({ kind: fc.constant("random" as const), cmd: commandArb }),
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  );
  const schedule = (ops: { kind: string; skip?: boolean; repeat?: boolean; cmd?: unknown; at?: number; bit?: number }[]) => {
    const out: Uint8Array[] = [];
    let i = 0;
    for (const o of ops) {
      if (o.kind === "real" && i < log.length) {
        if (!o.skip) out.push(log[i]!);
        if (o.repeat) out.push(log[i]!);
        i++;
      } else if (o.kind === "random") out.push(encodeCommand(o.cmd as never));
      else if (o.kind === "flip" && i > 0) {
        const c = log[(o.at ?? 0) % i]!.slice();
        const pos = (o.at ?? 0) % c.length;
        c[pos] = c[pos]! ^ (1 << (o.bit ?? 0));
        out.push(c);
      }
    }
    return [...out, ...log.slice(i)];
  };

  test("same commands → same results and same snapshot bytes; snapshot→restore→same state", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const cmds = schedule(ops);
        const a = replay(cmds);
        const b = replay(cmds);
        assert.deepEqual(a.results, b.results);
        const snap = a.machine.snapshot();
        assert.deepEqual(b.machine.snapshot(), snap);
        const c = new ZipnetMachine();
        c.restore(snap);
        assert.deepEqual(c.snapshot(), snap);
        assert.deepEqual(c.broadcasts(0), a.machine.broadcasts(0));
        assert.deepEqual(c.liveRound(), a.machine.liveRound());
        assert.deepEqual(c.counters(), a.machine.counters());
        assert.deepEqual(c.clientRegistry(), a.machine.clientRegistry());
        // The restored machine continues exactly like the original.
        const next = log[log.length - 1]!;
        assert.deepEqual(c.apply(next, { index: 1, term: 2 }), a.machine.apply(next, { index: 1, term: 2 }));
        assert.deepEqual(c.snapshot(), a.machine.snapshot());
      }),
      { numRuns: 60 },
    );
  });

  test("the unmodified log finalizes every round", () => {
    const { machine } = replay(log);
    assert.deepEqual(machine.broadcasts(0).map((r) => r.round), [1, 2, 3, 4]);
    assert.equal(machine.counters().roundsFinalized, 4);
    assert.deepEqual(machine.broadcasts(3).map((r) => r.round), [3, 4]);
  });
});
