// The driver sends a leader's appends while its own fsync runs (types.ts
// Ready step 0). The leader's unpersisted copy never counts toward a commit,
// but two followers that persisted an entry are a quorum of three on their
// own, and then the leader answers before its fsync ends; proposals made
// meanwhile are replicated and committed the same way (stepWhilePersisting). A
// gate in front of the leader's real DurableStorage holds its save() open,
// so the test sees the state in between deterministically instead of racing
// a disk.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { LocalNetwork } from "../src/driver/local-transport.js";
import { startRaftNode } from "../src/driver/raft-node.js";
import type { RaftNode } from "../src/driver/api.js";
import { openDurableStorage, type DurableStorage, type PersistableReady } from "../src/storage/durable-storage.js";
import type { Message, NodeId } from "../src/types.js";
import { ListMachine, seededRandom, text, until } from "./fixtures/cluster.js";
import { DelegatingStorage } from "./fixtures/delegating-storage.js";

/** Real storage whose save() of normal entries waits while `closed`, as a slow fsync would. */
class GatedStorage extends DelegatingStorage {
  closed = false;
  private waiting: (() => void)[] = [];
  /** Resolves when a save() is held at the gate. */
  held: Promise<void>;
  private onHeld!: () => void;
  constructor(inner: DurableStorage) {
    super(inner);
    this.held = new Promise((r) => (this.onHeld = r));
  }
  open(): void {
    this.closed = false;
    for (const w of this.waiting.splice(0)) w();
  }
  override async save(rd: PersistableReady): Promise<void> {
    if (this.closed && rd.entries.some((e) => e.kind === "normal")) {
      this.onHeld();
      await new Promise<void>((r) => this.waiting.push(r));
    }
    await this.inner.save(rd);
  }
}

interface Group {
  readonly net: LocalNetwork;
  readonly storages: Map<NodeId, GatedStorage>;
  readonly nodes: Map<NodeId, RaftNode<number>>;
  readonly leaderId: NodeId;
  readonly leader: RaftNode<number>;
  readonly followers: NodeId[];
}

// A held save also holds the leader's heartbeats (they leave with the next
// Ready, as in etcd), and the leader replicates around a save for half an
// election timeout only: so the timeout must outlast a held save on a
// loaded machine — 10–20 s here (an explicit campaign elects n1 at once),
// not the 200 ms of the other driver tests. The test of a hanging save
// needs the followers to time out and passes a shorter one.
async function withGroup(fn: (g: Group) => Promise<void>, o: { snapshotEvery?: number; electionTick?: number } = {}): Promise<void> {
  const ids = ["n1", "n2", "n3"];
  const root = fs.mkdtempSync(join(os.tmpdir(), "raft-early-"));
  const net = new LocalNetwork();
  const storages = new Map<NodeId, GatedStorage>();
  const nodes = new Map<NodeId, RaftNode<number>>();
  try {
    for (const [i, id] of ids.entries()) {
      const storage = new GatedStorage(openDurableStorage(join(root, id)));
      storages.set(id, storage);
      nodes.set(id, startRaftNode({ id, peers: ids, storage, stateMachine: new ListMachine(), transport: net.transport(id), tickMs: 10, electionTick: o.electionTick ?? 1000, heartbeatTick: 2, random: seededRandom(i + 1), defaultTimeoutMs: 30_000, snapshotEvery: o.snapshotEvery ?? 10_000 }));
    }
    await nodes.get("n1")!.campaign();
    const leaderId = (await nodes.get("n1")!.when({ leader: true })).leader!;
    const leader = nodes.get(leaderId)!;
    await leader.when({ role: "leader" });
    await leader.propose(text("warm-up"));
    await fn({ net, storages, nodes, leaderId, leader, followers: ids.filter((id) => id !== leaderId) });
  } finally {
    net.filter = null;
    // A failed assertion may leave a save held: stop() waits for it.
    for (const st of storages.values()) st.open();
    for (const n of nodes.values()) await n.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe("raft driver: the leader replicates while it persists", () => {
  test("one follower's ack plus the leader's unpersisted copy is no quorum: the entry commits only after the leader's fsync", { timeout: 30_000 }, async () => {
    await withGroup(async ({ net, storages, leaderId, leader, followers }) => {
      const [first, silent] = followers as [NodeId, NodeId];
      const gate = storages.get(leaderId)!;
      gate.closed = true;
      const floor = leader.status().commit;
      const acked = new Promise<Message>((resolve) => {
        net.filter = (m) => {
          if (m.type === "appendResp" && m.from === silent) return false;
          if (m.type === "appendResp" && m.from === first && !m.reject && m.index > floor) resolve(m);
          return true;
        };
      });
      let settled = false;
      const proposal = leader.propose(text("parallel")).finally(() => (settled = true));
      await gate.held;
      const ack = await acked;
      // A follower's copy is durable (it acks after its own save), the leader's is not.
      assert.equal(storages.get(ack.from)!.inner.lastIndex(), ack.index);
      assert.ok(gate.inner.lastIndex() < ack.index, "the leader's save ran through the gate");
      await until(() => (leader.status().progress[first]?.match ?? 0) >= ack.index, "the leader stepped the ack");
      await new Promise((r) => setImmediate(r));
      assert.equal(settled, false, "the proposal resolved before the leader's fsync");
      assert.ok(leader.status().commit < ack.index, `commit ${leader.status().commit} counted the leader's unpersisted entry ${ack.index}`);
      gate.open();
      const r = await proposal;
      assert.equal(r.index, ack.index);
      assert.equal(r.result, 2);
      net.filter = null;
    });
  });

  test("two followers' acks commit the entry while the leader's fsync is still running, and the leader then persists it", { timeout: 30_000 }, async () => {
    await withGroup(async ({ storages, nodes, leaderId, leader }) => {
      const gate = storages.get(leaderId)!;
      gate.closed = true;
      const r = await leader.propose(text("early"));
      assert.equal(r.result, 2, "applied on the leader, after the warm-up entry");
      assert.ok(gate.inner.lastIndex() < r.index, "answered before the leader's own save");
      for (const [id, s] of storages) if (id !== leaderId) assert.ok(s.inner.lastIndex() >= r.index, `${id} has it on disk`);
      // The loop resumes when the leader's save completes: the entry reaches its disk, later writes follow.
      gate.open();
      await until(() => gate.inner.lastIndex() >= r.index, "the leader persisted the entry");
      const r2 = await leader.propose(text("after"));
      assert.equal(r2.index, r.index + 1);
      assert.equal(r2.result, 3);
      for (const n of nodes.values()) await n.when({ applied: r2.index });
    });
  });

  test("proposals made while the leader's fsync is held are replicated and committed by the followers meanwhile, in order", { timeout: 30_000 }, async () => {
    await withGroup(async ({ storages, nodes, leaderId, leader }) => {
      const gate = storages.get(leaderId)!;
      gate.closed = true;
      const first = await leader.propose(text("held"));
      await gate.held;
      // The leader's loop is still waiting on that save: these would have waited for it.
      const later = await Promise.all(["b", "c", "d"].map((v) => leader.propose(text(v))));
      assert.deepEqual(
        later.map((r) => [r.index, r.result]),
        [1, 2, 3].map((k) => [first.index + k, (first.result as number) + k]),
        "consecutive indices, applied in proposal order",
      );
      assert.ok(gate.inner.lastIndex() < first.index, "all answered while the leader's first save was still held");
      for (const [id, s] of storages) if (id !== leaderId) assert.ok(s.inner.lastIndex() >= first.index + 3, `${id} has them on disk`);
      gate.open();
      // The next Ready persists what was replicated meanwhile.
      await until(() => gate.inner.lastIndex() >= first.index + 3, "the leader persisted the later entries");
      const after = await leader.propose(text("after"));
      assert.equal(after.index, first.index + 4);
      for (const n of nodes.values()) await n.when({ applied: after.index });
      for (const n of nodes.values()) assert.equal(n.status().commit, after.index);
    });
  });

  test("a vote request queued at the leader holds later proposals back until the save ends: they do not overtake it", { timeout: 30_000 }, async () => {
    await withGroup(async ({ net, storages, leaderId, leader, followers }) => {
      const gate = storages.get(leaderId)!;
      gate.closed = true;
      const first = await leader.propose(text("held"));
      await gate.held;
      // A pre-vote from a follower, as one whose election timer fired would send: not an ack, so it must be stepped first, in order.
      const st = leader.status();
      const delivered = net.delivered;
      net.transport(followers[0]!).send([
        { type: "preVote", from: followers[0]!, to: leaderId, term: st.term + 1, logTerm: st.term, index: first.index, entries: [], commit: 0, reject: false, rejectHint: 0, snapshot: null, context: new Uint8Array() },
      ]);
      await until(() => net.delivered > delivered, "the pre-vote reached the leader's queue");
      let settled = false;
      const later = leader.propose(text("later")).finally(() => (settled = true));
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      assert.equal(settled, false, "the proposal was answered while the pre-vote still waited");
      for (const [id, st] of storages) if (id !== leaderId) assert.equal(st.inner.lastIndex(), first.index, `${id} was sent the later entry ahead of the pre-vote`);
      gate.open();
      const r = await later;
      assert.equal(r.index, first.index + 1);
      assert.equal(leader.status().role, "leader", "a pre-vote does not depose a leader its followers still hear");
    });
  });

  test("a leader whose save hangs stops replicating around it, so the followers elect another", { timeout: 60_000 }, async () => {
    await withGroup(async ({ storages, nodes, leaderId, leader, followers }) => {
      const gate = storages.get(leaderId)!;
      gate.closed = true;
      void leader.propose(text("held")).catch(() => {});
      await gate.held;
      // Clients keep proposing: early appends would reset the followers' election timers for ever.
      let proposing = true;
      const load = (async () => {
        while (proposing) {
          void leader.propose(text("more")).catch(() => {});
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      let newId: NodeId;
      try {
        const elected = followers.map((id) => nodes.get(id)!.when({ role: "leader" }, { timeoutMs: 30_000 }).then(() => id));
        for (const p of elected) p.catch(() => {}); // the other follower's wait ends with the test
        newId = await Promise.race(elected);
      } finally {
        proposing = false;
        await load;
        gate.open();
      }
      // The old leader learns of the new term once its save completes, and the group goes on.
      await leader.when({ leader: newId });
      const newLeader = nodes.get(newId)!;
      const r = await newLeader.propose(text("after"));
      for (const n of nodes.values()) await n.when({ applied: r.index });
    }, { electionTick: 100 });
  });

  test("a snapshot due while the leader has applied entries its own log does not hold yet waits for them", { timeout: 30_000 }, async () => {
    await withGroup(async ({ storages, leaderId, leader }) => {
      const gate = storages.get(leaderId)!;
      gate.closed = true;
      const first = await leader.propose(text("held"));
      await gate.held;
      const later = await Promise.all(["b", "c", "d", "e"].map((v) => leader.propose(text(v))));
      const last = later.at(-1)!.index;
      assert.ok(gate.inner.lastIndex() < first.index);
      gate.open();
      // Due as soon as the held save completes, when the leader's log still ends before `last`.
      await until(() => gate.inner.snapshot().meta.index > 0, "the leader took a snapshot");
      assert.ok(gate.inner.snapshot().meta.index <= gate.inner.lastIndex());
      const after = await leader.propose(text("after"));
      assert.equal(after.index, last + 1, "the leader is still running");
    }, { snapshotEvery: 3 });
  });
  test("stop() called twice while a save is in flight: both wait for it, and the data dir stays locked until then", { timeout: 30_000 }, async () => {
    await withGroup(async ({ storages, leaderId, leader }) => {
      const gate = storages.get(leaderId)!;
      gate.closed = true;
      const proposal = leader.propose(text("held")).catch((e: unknown) => e);
      await gate.held;
      const done: string[] = [];
      const first = leader.stop().then(() => done.push("first"));
      const second = leader.stop().then(() => done.push("second"));
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      assert.deepEqual(done, [], "a stop() returned while the save still ran");
      // Closing the WAL (and releasing the directory) under the save would let another writer in.
      assert.throws(() => openDurableStorage(gate.inner.dir), (e: { code?: string }) => e.code === "RAFT_WAL_LOCKED");
      gate.open();
      await Promise.all([first, second]);
      assert.deepEqual(done.sort(), ["first", "second"]);
      await proposal;
      openDurableStorage(gate.inner.dir).close();
    });
  });
});
