// Linearizable reads (dissertation §6.4): ReadIndex with a heartbeat round,
// follower forwarding, and the optional leader lease (§6.4.1).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "../src/sim/cluster.js";
import { encodeKvCommand } from "../src/sim/kv-machine.js";
import { ProposalDroppedError } from "../src/errors.js";

let seq = 0;
const put = (key: string, value: string) => encodeKvCommand({ client: "r", seq: ++seq, key, value });
const ctx = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("ReadIndex (dissertation §6.4)", () => {
  test("the leader answers only after a quorum acknowledged a heartbeat carrying the request", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.propose("a", put("k", "v"));
    c.isolate("b");
    c.isolate("c");
    c.raw("a").readIndex(ctx("r1"));
    c.deliver();
    assert.deepEqual(c.node("a").readStates, [], "answered without confirming leadership");
    c.heal();
    c.tick("a", 1); // next heartbeat repeats the pending context
    assert.equal(c.node("a").readStates.length, 1);
    const rs = c.node("a").readStates[0]!;
    assert.equal(text(rs.context), "r1");
    assert.equal(rs.index, c.raw("a").status().commit);
  });

  test("a new leader defers reads until an entry of its own term is committed", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.propose("a", put("k", "v"));
    // b wins, but its no-op does not reach anyone yet.
    c.campaign("b", (m) => m.type !== "append");
    assert.deepEqual(c.leaders().includes("b"), true);
    const commit = c.raw("b").status().commit;
    c.raw("b").readIndex(ctx("r2"));
    c.deliver((m) => m.type !== "append");
    assert.deepEqual(c.node("b").readStates, [], "read served before the term's first commit");
    c.tick("b", 1);
    c.tick("b", 1);
    assert.equal(c.node("b").readStates.length, 1);
    const rs = c.node("b").readStates[0]!;
    assert.ok(rs.index > commit, "read index must cover the new term's no-op");
    assert.equal(c.raw("b").raft.log.term(rs.index), c.raw("b").status().term);
  });

  test("a follower forwards the request; the read index covers every write acknowledged before it", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    const w = c.propose("a", put("k", "acked"));
    c.raw("c").readIndex(ctx("from-c"));
    c.deliver();
    assert.equal(c.node("c").readStates.length, 1);
    const rs = c.node("c").readStates[0]!;
    assert.equal(text(rs.context), "from-c");
    assert.ok(rs.index >= w.index);
    assert.ok(c.node("c").applied >= rs.index);
    assert.equal(c.node("c").sm.get("k"), "acked");
  });

  test("a deposed leader cut off from the group never answers a read", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.isolate("a");
    c.campaign("b");
    c.propose("b", put("k", "new"));
    c.raw("a").readIndex(ctx("stale"));
    c.tick("a", 20);
    assert.deepEqual(c.node("a").readStates, []);
  });

  test("with no known leader the read is refused with a typed, retryable error", () => {
    const c = new Cluster(["a", "b", "c"]);
    assert.throws(() => c.raw("b").readIndex(ctx("x")), (e: unknown) => e instanceof ProposalDroppedError && e.reason === "notLeader" && e.leader === null && e.temporary);
  });
});

describe("lease reads (dissertation §6.4.1; off by default)", () => {
  test("within the lease the leader answers at once, without a heartbeat round", () => {
    const c = new Cluster(["a", "b", "c"], { leaseRead: true, checkQuorum: true, electionTick: 10 });
    c.campaign("a");
    c.propose("a", put("k", "v"));
    c.tick("a", 1); // a heartbeat round refreshes the acks
    const sent = c.delivered.length;
    c.raw("a").readIndex(ctx("lease"));
    c.processAll();
    assert.equal(c.node("a").readStates.length, 1);
    assert.equal(c.delivered.length, sent, "a lease read must not need messages");
    assert.equal(c.mailbox.filter((m) => m.context.length > 0).length, 0);
  });

  test("once the followers have been silent longer than the lease, it falls back to a heartbeat round", () => {
    const c = new Cluster(["a", "b", "c"], { leaseRead: true, checkQuorum: true, electionTick: 10 });
    c.campaign("a");
    c.propose("a", put("k", "v"));
    c.isolate("b");
    c.isolate("c");
    c.tick("a", 9); // lease window is electionTick - drift = 8 ticks
    c.raw("a").readIndex(ctx("expired"));
    c.processAll();
    assert.deepEqual(c.node("a").readStates, []);
  });
});

describe("lease accounting", () => {
  test("the lease counts from when the acknowledged heartbeat was sent, not when the ack arrived", () => {
    const c = new Cluster(["a", "b", "c"], { leaseRead: true, checkQuorum: true, electionTick: 10 });
    c.campaign("a");
    c.propose("a", put("k", "v"));
    // Heartbeats sent now are answered only after 9 more ticks (slow network):
    // the acks are 9 ticks old on arrival, beyond the 8-tick lease window.
    c.raw("a").tick();
    c.processAll();
    const slow = c.mailbox.filter((m) => m.type === "heartbeat");
    c.mailbox = c.mailbox.filter((m) => m.type !== "heartbeat");
    for (let i = 0; i < 9; i++) {
      c.raw("a").tick();
      c.processAll();
      c.mailbox = [];
    }
    c.mailbox = slow;
    c.deliver();
    c.raw("a").readIndex(ctx("late-acks"));
    c.processAll();
    assert.deepEqual(c.node("a").readStates, [], "served a lease read on acks of stale heartbeats");
  });

  test("no lease reads while a leader transfer is in progress", () => {
    const c = new Cluster(["a", "b", "c"], { leaseRead: true, checkQuorum: true, electionTick: 10 });
    c.campaign("a");
    c.tick("a", 1);
    c.isolate("b");
    c.raw("a").transferLeader("b");
    c.raw("a").readIndex(ctx("during-transfer"));
    c.processAll();
    assert.deepEqual(c.node("a").readStates, []);
  });
});
