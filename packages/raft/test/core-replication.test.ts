// Log replication (Raft §5.3), commitment rules (§5.4.2, Figure 8), state
// machine safety (§5.4.3), snapshots (§7) and restart from storage.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "../src/sim/cluster.js";
import { encodeKvCommand } from "../src/sim/kv-machine.js";
import type { Entry, Message } from "../src/types.js";

let seq = 0;
const put = (key: string, value: string) => encodeKvCommand({ client: "t", seq: ++seq, key, value });
const termsOf = (ents: Entry[]) => ents.map((e) => `${e.index}:${e.term}`).join(" ");

function assertLogsMatch(c: Cluster, ids: string[]): void {
  // Log Matching (§5.3): same index and term => identical prefix.
  const logs = ids.map((id) => c.logOf(id, 2));
  for (let i = 1; i < logs.length; i++) assert.equal(termsOf(logs[i]!), termsOf(logs[0]!), `${ids[i]} vs ${ids[0]}`);
}

describe("log replication (§5.3)", () => {
  test("entries proposed at the leader commit on every node and apply in the same order", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    for (let i = 0; i < 10; i++) c.propose("a", put(`k${i % 3}`, `v${i}`));
    assertLogsMatch(c, ["a", "b", "c"]);
    const hashes = ["a", "b", "c"].map((id) => c.node(id).sm.hash());
    assert.equal(new Set(hashes).size, 1, "state machines diverged");
    assert.equal(c.node("b").sm.get("k0"), "v9");
    for (const id of ["a", "b", "c"]) assert.equal(c.raw(id).status().commit, c.raw("a").status().lastIndex);
  });

  test("proposals report (term, index) and a no-op opens every term (§8)", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    const term = c.raw("a").status().term;
    const noop = c.logOf("a").find((e) => e.term === term)!;
    assert.equal(noop.kind, "noop");
    const r = c.propose("a", put("x", "1"));
    assert.deepEqual(r, { term, index: noop.index + 1 });
  });

  test("proposals at a follower are dropped with the leader's id for a retry", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    assert.throws(() => c.raw("b").propose(put("x", "1")), (e: unknown) => {
      const err = e as { code: string; reason: string; leader: string; message: string; temporary: boolean };
      return err.code === "RAFT_PROPOSAL_DROPPED" && err.reason === "notLeader" && err.leader === "a" && /retry at leader a/.test(err.message) && err.temporary;
    });
  });

  test("a follower's conflicting uncommitted suffix is truncated and replaced by the leader's", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.propose("a", put("x", "committed"));
    // a appends entries only it has, then loses leadership.
    c.isolate("a");
    c.raw("a").propose(put("x", "lost-1"));
    c.raw("a").propose(put("x", "lost-2"));
    c.processAll();
    c.campaign("b");
    c.propose("b", put("x", "new"));
    c.heal();
    c.tickAll(3);
    assertLogsMatch(c, ["a", "b", "c"]);
    assert.equal(c.node("a").sm.get("x"), "new");
    assert.ok(!c.logOf("a").some((e) => e.term === c.raw("a").status().term - 1 && e.kind === "normal" && e.index > 3 && new TextDecoder().decode(e.data).includes("lost")));
  });

  test("lost proposal: an index proposed in one term is later held by an entry of another term", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.isolate("a");
    const proposed = c.raw("a").propose(put("x", "doomed"));
    c.processAll();
    c.campaign("b");
    c.propose("b", put("x", "winner"));
    c.heal();
    c.tickAll(3);
    const at = c.logOf("a").find((e) => e.index === proposed.index)!;
    // The driver fails the proposal exactly when this happens (DESIGN.md §3.1).
    assert.notEqual(at.term, proposed.term);
    assert.ok(c.node("a").appliedEntries.some((e) => e.index === proposed.index && e.term !== proposed.term));
  });

  test("a minority partition cannot commit; after healing no committed entry changed (§5.4)", () => {
    const ids = ["a", "b", "c", "d", "e"];
    const c = new Cluster(ids);
    c.campaign("a");
    c.propose("a", put("k", "before"));
    const committedBefore = c.raw("a").status().commit;
    const before = termsOf(c.logOf("c", 2).filter((e) => e.index <= committedBefore));
    c.partition(["a", "b"], ["c", "d", "e"]);
    const commitA = c.raw("a").status().commit;
    c.propose("a", put("k", "minority"));
    c.tick("a", 5);
    assert.equal(c.raw("a").status().commit, commitA, "the minority side committed");
    c.campaign("c");
    c.propose("c", put("k", "majority"));
    assert.ok(c.raw("c").status().commit > commitA);
    c.heal();
    c.tickAll(3);
    assertLogsMatch(c, ids);
    for (const id of ids) {
      assert.equal(termsOf(c.logOf(id, 2).filter((e) => e.index <= committedBefore)), before, `${id} changed a committed entry`);
      assert.equal(c.node(id).sm.get("k"), "majority");
    }
  });

  test("batching: a follower far behind receives entries in messages bounded by maxMsgBytes", () => {
    const c = new Cluster(["a", "b", "c"], { maxMsgBytes: 200, maxInflight: 2 });
    c.campaign("a");
    c.isolate("c");
    for (let i = 0; i < 30; i++) c.propose("a", put("k", `v${i}`));
    c.heal();
    const appends: Message[] = [];
    c.tickAll(5, (m) => {
      if (m.type === "append" && m.to === "c") appends.push(m);
      return true;
    });
    assertLogsMatch(c, ["a", "b", "c"]);
    const withEntries = appends.filter((m) => m.entries.length > 0);
    assert.ok(withEntries.length > 3, `expected several batches, got ${withEntries.length}`);
    for (const m of withEntries) {
      const bytes = m.entries.reduce((s, e) => s + e.data.length + 16, 0);
      assert.ok(m.entries.length === 1 || bytes <= 200, `batch of ${bytes} bytes exceeds maxMsgBytes`);
    }
  });

  test("pipelining with flow control: at most maxInflight unacknowledged appends per follower", () => {
    const c = new Cluster(["a", "b", "c"], { maxInflight: 3 });
    c.campaign("a");
    // Hold all of b's acks: a must stop at 3 appends in flight.
    const held: Message[] = [];
    for (let i = 0; i < 10; i++) {
      c.raw("a").propose(put("k", `v${i}`));
      c.deliver((m) => {
        if (m.from === "b" && m.type === "appendResp") {
          held.push(m);
          return false;
        }
        return true;
      });
    }
    const toB = c.delivered.filter((m) => m.to === "b" && m.type === "append" && m.entries.length > 0 && m.term === c.raw("a").status().term);
    // One append in probe state plus at most maxInflight more once replicating.
    assert.ok(toB.length <= 1 + 3, `sent ${toB.length} appends to b without acks`);
    assert.equal(c.raw("a").status().progress["b"]!.state, "replicate");
  });

  test("fast backtracking: a follower with a long divergent suffix is repaired in few round trips", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.isolate("a");
    for (let i = 0; i < 50; i++) c.raw("a").propose(put("k", `stale${i}`));
    c.processAll();
    c.campaign("b");
    for (let i = 0; i < 5; i++) c.propose("b", put("k", `fresh${i}`));
    c.heal();
    const rejects: Message[] = [];
    c.tickAll(3, (m) => {
      if (m.type === "appendResp" && m.reject && m.from === "a") rejects.push(m);
      return true;
    });
    assertLogsMatch(c, ["a", "b", "c"]);
    assert.ok(rejects.length <= 3, `${rejects.length} rejections: backtracking went entry by entry`);
  });
});

/** Campaigns until elected: a first attempt may lose to votes already cast in that term. */
function elect(c: Cluster, id: string, filter?: (m: Message) => boolean | Message): void {
  for (let i = 0; i < 3 && c.raw(id).status().role !== "leader"; i++) c.campaign(id, filter);
  assert.equal(c.raw(id).status().role, "leader", `${id} could not get elected`);
}

describe("Figure 8 (§5.4.2): a leader never commits an old-term entry by counting replicas", () => {
  test("the term-2 entry on a majority is not committed by the term-4 leader, and is later overwritten safely", () => {
    const ids = ["s1", "s2", "s3", "s4", "s5"];
    const c = new Cluster(ids, { maxMsgBytes: 1 });
    // (a) s1 leads term 2 and replicates its entries only to s2.
    c.campaign("s1");
    assert.equal(c.raw("s1").status().term, 2);
    c.partition(["s1", "s2"], ["s3", "s4", "s5"]);
    const x = c.propose("s1", put("x", "term2"));
    assert.equal(x.term, 2);
    const commitBefore = c.raw("s1").status().commit;
    // (b) s1 crashes; s5 leads term 3 with s3 and s4, appending an entry only it holds.
    c.crash("s1");
    c.heal();
    c.isolate("s2");
    const noAppends = (m: Message) => m.type !== "append" && m.type !== "heartbeat";
    c.campaign("s5", noAppends);
    assert.equal(c.raw("s5").status().term, 3);
    c.isolate("s5");
    c.raw("s5").propose(put("x", "term3"));
    c.processAll();
    c.mailbox = [];
    // (c) s1 restarts and leads term 4; it replicates the term-2 entries to s3,
    // but not its own term-4 no-op.
    c.heal();
    c.isolate("s5");
    c.restart("s1");
    // The network loses the part of each append that carries s1's term-4 no-op.
    elect(c, "s1", (m) => (m.type === "append" ? { ...m, entries: m.entries.filter((e) => e.term < 4) } : true));
    const leaderTerm = c.raw("s1").status().term;
    assert.equal(leaderTerm, 4);
    const holders = ids.filter((id) => c.nodes.get(id)!.raw && c.logOf(id).some((e) => e.index === x.index && e.term === 2));
    assert.ok(holders.length >= 3, `term-2 entry should be on a majority, is on ${holders}`);
    assert.equal(c.raw("s1").status().commit, commitBefore, "Figure 8 violated: old-term entry committed by counting replicas");
    // (d) s1 crashes before its term-4 entry spreads; s5 wins and overwrites index 3.
    c.crash("s1");
    c.heal();
    c.isolate("s1");
    c.crash("s5"); // s5 still believes it leads term 3; a restart makes it a follower again
    c.restart("s5");
    elect(c, "s5");
    c.tickAll(2);
    for (const id of ["s2", "s3", "s4", "s5"]) {
      const e = c.logOf(id).find((en) => en.index === x.index)!;
      assert.equal(e.term, 3, `${id} still holds the term-2 entry`);
      assert.equal(c.node(id).sm.get("x"), "term3");
    }
  });

  test("(e) once the leader's current-term entry reaches a majority, the older entries commit with it", () => {
    const c = new Cluster(["s1", "s2", "s3", "s4", "s5"]);
    c.campaign("s1");
    c.partition(["s1", "s2"], ["s3", "s4", "s5"]);
    const x = c.propose("s1", put("x", "term2"));
    c.crash("s1");
    c.heal();
    c.restart("s1");
    c.campaign("s1");
    c.tickAll(2);
    assert.ok(c.raw("s1").status().commit >= x.index);
    assert.equal(c.node("s3").sm.get("x"), "term2");
  });
});

describe("snapshots (§7)", () => {
  test("a follower behind the compacted log receives the snapshot and converges to the same state", () => {
    const c = new Cluster(["a", "b", "c"], { snapshotEvery: 5, compactKeep: 1 });
    c.campaign("a");
    c.isolate("c");
    for (let i = 0; i < 30; i++) c.propose("a", put(`k${i % 4}`, `v${i}`));
    assert.ok(c.node("a").storage.firstIndex() > c.raw("c").status().lastIndex + 1, "leader log was not compacted past c");
    c.heal();
    c.tickAll(3);
    assert.ok(c.delivered.some((m) => m.type === "snapshot" && m.to === "c"), "no snapshot was sent");
    assert.equal(c.node("c").sm.hash(), c.node("a").sm.hash());
    assert.equal(c.raw("c").status().commit, c.raw("a").status().commit);
    c.propose("a", put("after", "snap"));
    assert.equal(c.node("c").sm.get("after"), "snap");
  });

  test("a brand-new member learns the founding membership from the bootstrap snapshot", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.propose("a", put("k", "v"));
    c.raw("a").proposeConfChange({ type: "addLearner", node: "d" });
    c.deliver();
    c.add("d");
    c.tickAll(3);
    assert.deepEqual(c.raw("d").status().conf.voters, ["a", "b", "c"]);
    assert.deepEqual(c.raw("d").status().conf.learners, ["d"]);
    assert.equal(c.node("d").sm.get("k"), "v");
  });
});

describe("restart from storage", () => {
  test("a restarted node recovers term, vote, log and re-applies committed entries above its snapshot", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    for (let i = 0; i < 5; i++) c.propose("a", put("k", `v${i}`));
    const before = c.raw("b").status();
    const hash = c.node("b").sm.hash();
    c.crash("b");
    c.restart("b");
    const after = c.raw("b").status();
    assert.equal(after.term, before.term);
    assert.equal(after.vote, before.vote);
    assert.equal(after.lastIndex, before.lastIndex);
    assert.equal(c.node("b").sm.hash(), hash, "committed entries were not re-applied after restart");
    assert.ok(c.node("b").appliedEntries.length >= 5);
  });
});
