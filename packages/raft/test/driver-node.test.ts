import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestCluster, text } from "./fixtures/cluster.js";
import { ProposalDroppedError } from "../src/errors.js";
import type { RaftDriverError } from "../src/driver/errors.js";

const ids = ["n1", "n2", "n3"];

describe("raft driver, 3 members on LocalNetwork with real files", () => {
  test("elects one leader that every member agrees on", async () => {
    const c = new TestCluster(ids);
    try {
      const leader = await c.leader();
      for (const id of ids) assert.equal(c.get(id).node.status().leader, leader.id);
      assert.equal(ids.filter((id) => c.get(id).node.status().role === "leader").length, 1);
    } finally {
      await c.stopAll();
    }
  });

  test("propose resolves with (term, index, result) after commit and apply, and every member applies the same", async () => {
    const c = new TestCluster(ids);
    try {
      const leader = await c.leader();
      const term = leader.node.status().term;
      const r1 = await leader.node.propose(text("a"));
      const r2 = await leader.node.propose(text("b"));
      assert.equal(r1.term, term);
      assert.equal(r2.index, r1.index + 1);
      assert.equal(r1.result, 1);
      assert.equal(r2.result, 2);
      for (const id of ids) {
        await c.get(id).node.when({ applied: r2.index });
        assert.deepEqual(c.get(id).sm.items, ["a", "b"]);
      }
    } finally {
      await c.stopAll();
    }
  });

  test("many concurrent proposals all resolve in log order and share fsyncs", async () => {
    const c = new TestCluster(ids);
    try {
      const leader = await c.leader();
      const before = leader.counters.fsyncs;
      const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => leader.node.propose(text(`p${i}`))));
      const indexes = rs.map((r) => r.index);
      assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b));
      assert.equal(new Set(indexes).size, 200);
      assert.ok(leader.counters.fsyncs - before < 100, `200 proposals took ${leader.counters.fsyncs - before} fsyncs on the leader`);
    } finally {
      await c.stopAll();
    }
  });

  test("one write at a time: commit notices ride on the next append, and followers still apply every entry", async () => {
    // Counts what crosses the network for 20 sequential writes, sending commit
    // notices at once (0) and holding them (long enough that only the next
    // append or a heartbeat can carry the commit).
    const run = async (commitNoticeDelayMs: number): Promise<{ notices: number; total: number }> => {
      const c = new TestCluster(ids, { commitNoticeDelayMs });
      try {
        const leader = await c.leader();
        let notices = 0;
        let total = 0;
        c.net.filter = (m) => {
          total++;
          if (m.type === "append" && m.entries.length === 0) notices++;
          return true;
        };
        let last = 0;
        for (let i = 0; i < 20; i++) last = (await leader.node.propose(text(`w${i}`))).index;
        c.net.filter = null;
        // Followers learn the last commit from the held notice, a heartbeat or the flush.
        for (const id of ids) {
          await c.get(id).node.when({ applied: last });
          assert.equal(c.get(id).sm.items.length, 20);
        }
        return { notices, total };
      } finally {
        await c.stopAll();
      }
    };
    const eager = await run(0);
    const held = await run(60_000);
    assert.ok(eager.notices >= 2 * 19, `eager: ${eager.notices} commit notices for 20 writes`);
    assert.ok(held.notices <= 2, `held: ${held.notices} commit notices went out`);
    assert.ok(held.total < eager.total * 0.7, `messages: held ${held.total} vs eager ${eager.total}`);
  });

  test("a follower rejects a proposal with ProposalDroppedError naming the leader", async () => {
    const c = new TestCluster(ids);
    try {
      const leader = await c.leader();
      const follower = ids.find((id) => id !== leader.id)!;
      await assert.rejects(c.get(follower).node.propose(text("x")), (e: ProposalDroppedError) => {
        assert.ok(e instanceof ProposalDroppedError);
        assert.equal(e.code, "RAFT_PROPOSAL_DROPPED");
        assert.equal(e.leader, leader.id);
        assert.match(e.message, new RegExp(`retry at leader ${leader.id}`));
        return true;
      });
    } finally {
      await c.stopAll();
    }
  });

  test("a proposal overwritten after a leader change rejects instead of resolving falsely", async () => {
    const c = new TestCluster(ids);
    try {
      const old = await c.leader();
      await old.node.propose(text("committed"));
      c.net.isolate(old.id);
      const lost = old.node.propose(text("lost"));
      const lostOutcome = lost.then(
        () => null,
        (e: RaftDriverError) => e,
      );
      const others = ids.filter((id) => id !== old.id);
      const next = await Promise.any(others.map((id) => c.get(id).node.when({ role: "leader" })));
      const newLeader = c.get(next.id);
      await newLeader.node.propose(text("after"));
      c.net.heal(old.id);
      const err = await lostOutcome;
      assert.ok(err, "the lost proposal must not resolve");
      assert.equal(err.code, "RAFT_PROPOSAL_OVERWRITTEN");
      assert.match(err.message, /overwritten after a leader change/);
      await old.node.when({ applied: newLeader.node.status().applied });
      assert.deepEqual(old.sm.items, ["committed", "after"]);
    } finally {
      await c.stopAll();
    }
  });

  test("a retried request id applies once and returns the first result, even at a new leader", async () => {
    const c = new TestCluster(ids);
    try {
      const leader = await c.leader();
      const requestId = { clientId: "client-7", seq: 1 };
      const first = await leader.node.propose(text("once"), { requestId });
      const again = await leader.node.propose(text("once"), { requestId });
      assert.equal(again.result, first.result);
      assert.ok(again.index > first.index);
      const to = ids.find((id) => id !== leader.id)!;
      await leader.node.transferLeadership(to);
      await c.get(to).node.when({ role: "leader" });
      const atNew = await c.get(to).node.propose(text("once"), { requestId });
      assert.equal(atNew.result, first.result);
      for (const id of ids) {
        await c.get(id).node.when({ applied: atNew.index });
        assert.deepEqual(c.get(id).sm.items, ["once"]);
      }
      await assert.rejects(c.get(to).node.propose(text("old"), { requestId: { clientId: "client-7", seq: 0 } }), (e: RaftDriverError) => e.code === "RAFT_REQUEST_STALE");
    } finally {
      await c.stopAll();
    }
  });

  test("read() on any member observes every write acknowledged before it started", async () => {
    const c = new TestCluster(ids);
    try {
      const leader = await c.leader();
      for (let i = 0; i < 5; i++) {
        const w = await leader.node.propose(text(`w${i}`));
        for (const id of ids) {
          const r = await c.get(id).node.read();
          assert.ok(r.index >= w.index, `${id}: read index ${r.index} < write ${w.index}`);
          assert.equal(c.get(id).sm.items.at(-1), `w${i}`);
        }
      }
    } finally {
      await c.stopAll();
    }
  });

  test("killing the leader elects a new one and loses no committed entry", async () => {
    const c = new TestCluster(ids);
    try {
      const old = await c.leader();
      const acked: string[] = [];
      for (let i = 0; i < 20; i++) {
        await old.node.propose(text(`k${i}`));
        acked.push(`k${i}`);
      }
      await c.stop(old.id);
      const next = await c.leader();
      assert.notEqual(next.id, old.id);
      await next.node.propose(text("post"));
      for (const id of c.members.keys()) {
        await c.get(id).node.read();
        assert.deepEqual(c.get(id).sm.items, [...acked, "post"]);
      }
      // The old leader restarts from its files and catches up.
      const back = c.start(old.id);
      await back.node.when({ applied: next.node.status().applied });
      assert.deepEqual(back.sm.items, [...acked, "post"]);
    } finally {
      await c.stopAll();
    }
  });

  test("transferLeadership moves the leader; asked of a follower it rejects without harming the member", async () => {
    const c = new TestCluster(ids);
    try {
      const leader = await c.leader();
      const to = ids.find((id) => id !== leader.id)!;
      await assert.rejects(c.get(to).node.transferLeadership(leader.id), (e: ProposalDroppedError) => e.code === "RAFT_PROPOSAL_DROPPED" && e.leader === leader.id);
      await c.get(to).node.read();
      const s = await leader.node.transferLeadership(to);
      assert.equal(s.leader, to);
      await c.get(to).node.when({ role: "leader" });
    } finally {
      await c.stopAll();
    }
  });

  test("snapshots compact the log and a lagging follower catches up from a snapshot", async () => {
    const c = new TestCluster(ids, { snapshotEvery: 10, storage: { retainEntries: 2, wal: { segmentBytes: 2048 } } });
    try {
      const leader = await c.leader();
      const lagging = ids.find((id) => id !== leader.id)!;
      await c.stop(lagging);
      const want: string[] = [];
      // A snapshot is not started while the previous one is still being written, so how many
      // a run of proposals yields depends on the disk: propose until three are durable.
      for (let i = 0; leader.counters.snapshotsTaken < 3; i++) {
        assert.ok(i < 1000, `leader took only ${leader.counters.snapshotsTaken} snapshots in 1000 proposals (snapshotEvery 10)`);
        await leader.node.propose(text(`s${i}`));
        want.push(`s${i}`);
      }
      assert.ok(want.length >= 30, `three snapshots 10 entries apart need at least 30 entries, took ${want.length}`);
      // The leader's log was compacted below its newest snapshot (retainEntries 2).
      assert.ok(leader.storage.firstIndex() > 10, `leader's first log index ${leader.storage.firstIndex()}`);
      const back = c.start(lagging);
      await back.node.when({ applied: leader.node.status().applied });
      assert.ok(back.counters.snapshotsInstalled >= 1, "the follower must have been sent a snapshot");
      assert.deepEqual(back.sm.items, want);
      // The installed snapshot and its WAL survive another restart.
      await c.stop(lagging);
      const again = c.start(lagging);
      await again.node.when({ applied: leader.node.status().applied });
      assert.deepEqual(again.sm.items, want);
    } finally {
      await c.stopAll();
    }
  });

  test("a new member joins as a learner, is promoted, and replaceMember swaps a voter", async () => {
    const c = new TestCluster(ids);
    try {
      const leader = await c.leader();
      await leader.node.propose(text("before-join"));
      const n4 = c.start("n4", []);
      const conf = await leader.node.addLearner("n4");
      assert.ok(conf.learners.includes("n4"));
      await n4.node.when({ applied: leader.node.status().applied });
      assert.deepEqual(n4.sm.items, ["before-join"]);
      const promoted = await leader.node.promote("n4");
      assert.ok(promoted.voters.includes("n4"));
      const victim = ids.find((id) => id !== leader.id)!;
      const n5 = c.start("n5", []);
      const swapped = await leader.node.replaceMember(victim, "n5");
      assert.ok(swapped.voters.includes("n5") && !swapped.voters.includes(victim));
      await n5.node.when({ applied: leader.node.status().applied });
      assert.deepEqual(n5.sm.items, ["before-join"]);
    } finally {
      await c.stopAll();
    }
  });

  test("an unconfirmed read fails fast with RAFT_READ_ABORTED when leadership changes", async () => {
    const c = new TestCluster(ids);
    try {
      const old = await c.leader();
      const f = ids.find((id) => id !== old.id)!;
      c.net.isolate(old.id);
      const read = c.get(f).node.read();
      const outcome = read.then(
        () => null,
        (e: RaftDriverError) => e,
      );
      const err = await outcome;
      assert.ok(err, "a read forwarded to an unreachable leader must not succeed");
      assert.equal(err.code, "RAFT_READ_ABORTED");
      assert.equal(err.temporary, true);
      c.net.heal(old.id);
    } finally {
      await c.stopAll();
    }
  });

  test("a storage failure halts the member instead of acknowledging anything", async () => {
    const c = new TestCluster(["solo"]);
    try {
      const m = await c.leader();
      await m.node.propose(text("ok"));
      // Pull the disk out from under it: the WAL refuses writes after close().
      m.storage.close();
      await assert.rejects(m.node.propose(text("lost")), (e: RaftDriverError) => {
        assert.equal(e.code, "RAFT_STOPPED");
        assert.equal(e.temporary, false);
        assert.match(e.message, /halted/);
        return true;
      });
      await assert.rejects(m.node.propose(text("after")), (e: RaftDriverError) => e.code === "RAFT_STOPPED");
    } finally {
      await c.stopAll().catch(() => undefined);
    }
  });

  test("stop() rejects pending work and later calls with typed errors", async () => {
    const c = new TestCluster(ids);
    try {
      const leader = await c.leader();
      const follower = ids.find((id) => id !== leader.id)!;
      const f = c.get(follower);
      const waiting = f.node.when({ applied: 1_000_000 });
      await c.stop(follower);
      await assert.rejects(waiting, (e: RaftDriverError) => e.code === "RAFT_STOPPED");
      await assert.rejects(f.node.propose(text("x")), (e: RaftDriverError) => e.code === "RAFT_STOPPED");
    } finally {
      await c.stopAll();
    }
  });
});
