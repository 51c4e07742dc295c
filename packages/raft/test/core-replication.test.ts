// Log replication (Raft §5.3), commitment rules (§5.4.2, Figure 8), state
// machine safety (§5.4.3), snapshots (§7) and restart from storage.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Cluster } from "../src/sim/cluster.js";
import { encodeKvCommand } from "../src/sim/kv-machine.js";
import type { Entry, Message, Ready } from "../src/types.js";
import { makeMessage } from "../src/core/message.js";

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

  test("entries above a snapshot not yet installed are not handed out early (takeCommitted)", () => {
    const c = new Cluster(["a", "b", "c"], { snapshotEvery: 5, compactKeep: 1 });
    c.campaign("a");
    c.isolate("c");
    // 14 entries, a snapshot at 14 (every 5 applied), then two above it.
    for (let i = 0; i < 14; i++) c.propose("a", put(`k${i % 4}`, `v${i}`));
    const snap = c.node("a").storage.snapshot();
    const term = c.raw("a").status().term;
    const above = c.logOf("a").filter((e) => e.index > snap.meta.index);
    assert.ok(snap.meta.index > 0 && above.length > 0);
    // c gets the snapshot and, before its Ready is taken, an append of the entries above it.
    const fc = c.raw("c");
    fc.step(makeMessage("a", term, { type: "snapshot", to: "c", snapshot: snap, commit: snap.meta.index }));
    fc.step(makeMessage("a", term, { type: "append", to: "c", index: snap.meta.index, logTerm: snap.meta.term, entries: above, commit: above.at(-1)!.index }));
    const rd = fc.ready();
    assert.equal(rd.snapshot?.meta.index, snap.meta.index);
    assert.deepEqual(fc.takeCommitted(), [], "applied before the snapshot they follow");
    // After the install (advance), they come as usual.
    c.node("c").storage.applySnapshot(rd.snapshot!);
    c.node("c").storage.append(rd.entries);
    fc.advance(rd);
    assert.deepEqual(fc.takeCommitted().map((e) => e.index), above.map((e) => e.index).filter((i) => !rd.committedEntries.some((e) => e.index === i)));
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

describe("the leader writes its log in parallel with replicating it (dissertation §10.2.1)", () => {
  /** Takes the leader's next Ready without persisting it, as a leader whose fsync is still running. */
  function proposeUnpersisted(c: Cluster, leader: string, value: string) {
    const raw = c.raw(leader);
    const at = raw.propose(put("x", value));
    const rd = raw.ready();
    assert.deepEqual(rd.entries.map((e) => e.index), [at.index]);
    return { at, rd, raw };
  }

  /** Delivers `msgs` to `to` and returns its appendResps, leaving nothing else of them in the mailbox. */
  function deliverTo(c: Cluster, to: string, msgs: readonly Message[]): Message[] {
    for (const m of msgs) if (m.to === to) c.raw(to).step(m);
    c.process(to);
    const resps = c.mailbox.filter((m) => m.from === to && m.type === "appendResp");
    c.mailbox = c.mailbox.filter((m) => m.from !== to);
    return resps;
  }

  test("the leader's appends may leave before its persist; what promises durability may not", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    const { at, rd } = proposeUnpersisted(c, "a", "1");
    assert.deepEqual(rd.messagesBeforePersist.map((m) => `${m.type}>${m.to}`).sort(), ["append>b", "append>c"]);
    for (const m of rd.messagesBeforePersist) assert.deepEqual(m.entries.map((e) => e.index), [at.index]);
    assert.deepEqual(rd.messagesAfterPersist, []);
    assert.deepEqual([...rd.messages], [...rd.messagesBeforePersist, ...rd.messagesAfterPersist]);
    // A follower storing the entry answers only after its own persist.
    c.raw("b").step(rd.messagesBeforePersist.find((m) => m.to === "b")!);
    const frd = c.raw("b").ready();
    assert.equal(frd.entries.length, 1);
    assert.deepEqual(frd.messagesBeforePersist, []);
    assert.deepEqual(frd.messagesAfterPersist.map((m) => m.type), ["appendResp"]);
  });

  test("a follower's ack does not commit the entry until the leader's own persist is acknowledged", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    const { at, rd, raw } = proposeUnpersisted(c, "a", "1");
    const acks = deliverTo(c, "b", rd.messagesBeforePersist);
    assert.equal(acks.length, 1);
    assert.equal(acks[0]!.index, at.index, "b stored and acknowledged the entry");
    for (const m of acks) raw.step(m);
    // b durable + a not durable is one copy of three: not a quorum.
    assert.equal(raw.status().progress["b"]!.match, at.index);
    assert.ok(raw.status().progress["a"]!.match < at.index, "the leader counted an entry it has not persisted");
    assert.ok(raw.status().commit < at.index, `committed ${raw.status().commit} before the leader persisted ${at.index}`);
    // The leader's persist completes: advance() is its acknowledgement.
    c.node("a").storage.append(rd.entries);
    if (rd.hardState) c.node("a").storage.setHardState(rd.hardState);
    raw.advance(rd);
    assert.equal(raw.status().progress["a"]!.match, at.index);
    assert.equal(raw.status().commit, at.index);
    c.deliver();
    for (const id of ["a", "b", "c"]) assert.ok(c.node(id).appliedEntries.some((e) => e.index === at.index && e.term === at.term), `${id} did not apply ${at.index}`);
  });

  test("the leader's own persist plus one follower's commits, in either order", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    const { at, rd, raw } = proposeUnpersisted(c, "a", "1");
    c.node("a").storage.append(rd.entries);
    raw.advance(rd);
    // One durable copy (the leader's) is not a quorum either.
    assert.ok(raw.status().commit < at.index);
    for (const m of deliverTo(c, "c", rd.messagesBeforePersist)) raw.step(m);
    assert.equal(raw.status().commit, at.index);
  });

  /** A lone voter "a" with learner "l", just elected: its election Ready (new term) taken, not yet advanced. */
  function electLoneVoter(): { c: Cluster; raw: ReturnType<Cluster["raw"]>; rd: Ready } {
    const c = new Cluster(["a"], {}, ["l"]);
    const raw = c.raw("a");
    raw.campaign();
    const rd = raw.ready();
    assert.equal(rd.softState?.role, "leader");
    assert.notEqual(rd.hardState, null);
    return { c, raw, rd };
  }

  test("a lone voter commits only after advance(), and its election Ready sends nothing early", () => {
    const { c, raw, rd } = electLoneVoter();
    // The term is not durable yet: an append of it could outlive a crash that forgets the term.
    assert.deepEqual(rd.messagesBeforePersist, []);
    assert.ok(rd.messagesAfterPersist.some((m) => m.type === "append" && m.to === "l"));
    assert.deepEqual(rd.committedEntries, []);
    const noop = rd.entries.at(-1)!;
    assert.ok(raw.status().commit < noop.index);
    c.node("a").storage.append(rd.entries);
    c.node("a").storage.setHardState(rd.hardState!);
    raw.advance(rd);
    assert.equal(raw.status().commit, noop.index);
    const next = raw.ready();
    assert.deepEqual(next.committedEntries.map((e) => e.index), [noop.index]);
    raw.advance(next);
    c.mailbox.push(...rd.messages, ...next.messages);
    c.deliver();
    // Same term, now durable: its appends may go early, and the entry commits at advance().
    const at = raw.propose(put("x", "1"));
    const rd3 = raw.ready();
    assert.deepEqual(rd3.messagesBeforePersist.map((m) => `${m.type}>${m.to}`), ["append>l"]);
    assert.deepEqual(rd3.committedEntries, []);
    c.node("a").storage.append(rd3.entries);
    raw.advance(rd3);
    assert.equal(raw.status().commit, at.index);
  });

  test("between ready() and advance() a leader hands out the appends of new proposals, and two followers' acks commit them", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    const { at, rd, raw } = proposeUnpersisted(c, "a", "1");
    // The first entry's write is pending; a second proposal arrives meanwhile.
    const at2 = raw.propose(put("x", "2"));
    const early = raw.takeMessagesBeforePersist();
    assert.deepEqual(early.map((m) => `${m.type}>${m.to}`).sort(), ["append>b", "append>c"]);
    for (const m of early) assert.deepEqual(m.entries.map((e) => e.index), [at2.index]);
    assert.deepEqual(raw.takeMessagesBeforePersist(), [], "handed out once");
    for (const to of ["b", "c"]) for (const m of deliverTo(c, to, [...rd.messagesBeforePersist, ...early])) raw.step(m);
    // Two durable copies of three: both commit although the leader has persisted neither.
    assert.equal(raw.status().commit, at2.index);
    assert.deepEqual(raw.takeCommitted().map((e) => e.index), [at.index, at2.index]);
    // The first write completes; the next Ready persists exactly the entry replicated meanwhile.
    c.node("a").storage.append(rd.entries);
    raw.advance(rd);
    const rd2 = raw.ready();
    assert.deepEqual(rd2.entries.map((e) => e.index), [at2.index]);
    assert.deepEqual(rd2.committedEntries, [], "already handed out by takeCommitted()");
    c.node("a").storage.append(rd2.entries);
    raw.advance(rd2);
    assert.equal(raw.status().progress["a"]!.match, at2.index);
  });

  test("only appends and heartbeats leave early; every other message stays queued, in order", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    const { raw } = proposeUnpersisted(c, "a", "1");
    const term = raw.status().term;
    const m = (type: Message["type"], to: string) => makeMessage("a", term, { type, to });
    raw.raft.msgs.push(m("readIndexResp", "b"), m("append", "b"), m("timeoutNow", "c"), m("heartbeat", "c"), m("snapshot", "b"), m("appendResp", "c"));
    const early = raw.takeMessagesBeforePersist();
    assert.deepEqual(early.map((x) => `${x.type}>${x.to}`), ["append>b", "heartbeat>c"]);
    assert.deepEqual(raw.raft.msgs.map((x) => `${x.type}>${x.to}`), ["readIndexResp>b", "timeoutNow>c", "snapshot>b", "appendResp>c"]);
  });

  test("nothing leaves early from a follower or from a leader whose new term is not yet durable", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    const { rd } = proposeUnpersisted(c, "a", "1");
    // A follower's answers always promise durability.
    const b = c.raw("b");
    b.step(rd.messagesBeforePersist.find((m) => m.to === "b")!);
    assert.deepEqual(b.raft.msgs.map((m) => m.type), ["appendResp"]);
    assert.deepEqual(b.takeMessagesBeforePersist(), []);
    assert.deepEqual(b.raft.msgs.map((m) => m.type), ["appendResp"], "kept for the next Ready");
    // A leader's first Ready changes its term: until advance(), nothing may leave early.
    const { raw: s } = electLoneVoter();
    s.propose(put("k", "v"));
    for (let i = 0; i < 5 && s.raft.msgs.length === 0; i++) s.tick(); // a heartbeat to the learner
    const held = s.raft.msgs.length;
    assert.ok(held > 0, "the leader has something to send");
    assert.deepEqual(s.takeMessagesBeforePersist(), []);
    assert.equal(s.raft.msgs.length, held, "kept for the next Ready");
  });

  test("a leader that crashes before its persist loses only an entry never reported committed", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.propose("a", put("x", "0"));
    const { at, rd, raw } = proposeUnpersisted(c, "a", "lost");
    // b stores the entry and acks; c never hears of it.
    for (const m of deliverTo(c, "b", rd.messagesBeforePersist)) raw.step(m);
    assert.ok(raw.status().commit < at.index);
    assert.ok(raw.raft.msgs.every((m) => m.commit < at.index), "a told a follower the entry committed");
    c.crash("a"); // the write never happened
    c.restart("a");
    assert.ok(c.raw("a").status().lastIndex < at.index, "a's disk has the entry it never persisted");
    assert.equal(c.raw("b").status().lastIndex, at.index, "b holds the entry durably");
    // a (without the entry) and c elect c, whose log lacks it: legal, because it never committed.
    c.isolate("b");
    c.campaign("c");
    assert.deepEqual(c.leaders(), ["c"]);
    c.propose("c", put("x", "after"));
    c.heal();
    c.tick("c", 2);
    const term = c.raw("c").status().term;
    for (const id of ["a", "b", "c"]) {
      assert.equal(c.raw(id).raft.log.term(at.index), term, `${id} kept the lost entry`);
      assert.ok(!c.node(id).appliedEntries.some((e) => e.index === at.index && e.term === at.term), `${id} applied the lost entry`);
      assert.equal(c.node(id).sm.get("x"), "after");
    }
    assertLogsMatch(c, ["a", "b", "c"]);
  });

  test("property: the entry commits exactly when a quorum holds it durably, the leader's copy counting from its persist", () => {
    // Random interleavings of follower acks and the leader's persist acknowledgements.
    fc.assert(
      fc.property(fc.array(fc.constantFrom("b", "c", "d", "e", "persist"), { minLength: 1, maxLength: 12 }), (schedule) => {
        const c = new Cluster(["a", "b", "c", "d", "e"]);
        c.campaign("a");
        const { at, rd, raw } = proposeUnpersisted(c, "a", "p");
        const acked = new Set<string>();
        let persisted = false;
        for (const step of schedule) {
          if (step === "persist") {
            if (persisted) continue;
            c.node("a").storage.append(rd.entries);
            raw.advance(rd);
            persisted = true;
          } else if (!acked.has(step)) {
            for (const m of deliverTo(c, step, rd.messagesBeforePersist)) raw.step(m);
            acked.add(step);
          }
          // Three durable copies of five commit it, the leader's counting only once persisted.
          const durable: number = acked.size + (persisted ? 1 : 0);
          assert.equal(raw.status().commit >= at.index, durable >= 3, `after ${schedule.join(",")}: ${durable} durable copies, commit ${raw.status().commit}`);
        }
      }),
      { numRuns: 60 },
    );
  });
});
