import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ZipnetError, ZipnetMachine, clientIdOf, encodeCommand, type ApplyResult } from "../src/index.js";
import { commandArb } from "./arbitraries.js";
import { World, keyPair, txOf } from "./fixtures.js";
import { encodeTx2718 } from "../src/index.js";

const params = {
  roundPeriodMs: 1000,
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

  test("a garbage snapshot is a typed error", () => {
    const m = new ZipnetMachine();
    assert.throws(() => m.restore(new Uint8Array([1, 0, 0])), { code: "ZIPNET_SNAPSHOT_INVALID" });
    assert.throws(() => m.restore(new Uint8Array([9])), { code: "ZIPNET_SNAPSHOT_INVALID" });
    const good = m.snapshot();
    assert.throws(() => m.restore(new Uint8Array([...good, 0])), (e: unknown) => e instanceof ZipnetError && /trailing/.test(e.message));
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
