// The driver sends a leader's appends before its own fsync (types.ts Ready
// step 0) and still waits for that fsync before the entry commits. A gate in
// front of the leader's real DurableStorage holds its save() open, so the
// test sees the state in between deterministically instead of racing a disk.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { LocalNetwork } from "../src/driver/local-transport.js";
import { startRaftNode } from "../src/driver/raft-node.js";
import type { RaftNode, RaftNodeStorage } from "../src/driver/api.js";
import { openDurableStorage, type DurableStorage, type PersistableReady } from "../src/storage/durable-storage.js";
import type { Message, NodeId } from "../src/types.js";
import { ListMachine, seededRandom, text } from "./fixtures/cluster.js";

/** Real storage whose save() of normal entries waits while `closed`, as a slow fsync would. */
class GatedStorage implements RaftNodeStorage {
  closed = false;
  private waiting: (() => void)[] = [];
  /** Resolves when a save() is held at the gate. */
  held: Promise<void>;
  private onHeld!: () => void;
  constructor(readonly inner: DurableStorage) {
    this.held = new Promise((r) => (this.onHeld = r));
  }
  open(): void {
    this.closed = false;
    for (const w of this.waiting.splice(0)) w();
  }
  async save(rd: PersistableReady): Promise<void> {
    if (this.closed && rd.entries.some((e) => e.kind === "normal")) {
      this.onHeld();
      await new Promise<void>((r) => this.waiting.push(r));
    }
    await this.inner.save(rd);
  }
  isEmpty = () => this.inner.isEmpty();
  bootstrap: RaftNodeStorage["bootstrap"] = (c, d) => this.inner.bootstrap(c, d);
  setConfState: RaftNodeStorage["setConfState"] = (c) => this.inner.setConfState(c);
  createSnapshot: RaftNodeStorage["createSnapshot"] = (i, c, d) => this.inner.createSnapshot(i, c, d);
  close = () => this.inner.close();
  initialState = () => this.inner.initialState();
  entries: RaftNodeStorage["entries"] = (lo, hi, max) => this.inner.entries(lo, hi, max);
  term = (i: number) => this.inner.term(i);
  firstIndex = () => this.inner.firstIndex();
  lastIndex = () => this.inner.lastIndex();
  snapshot = () => this.inner.snapshot();
}

describe("raft driver: the leader replicates while it persists", () => {
  test("followers store and acknowledge an entry before the leader's fsync ends; it commits only after", { timeout: 30_000 }, async () => {
    const ids = ["n1", "n2", "n3"];
    const root = fs.mkdtempSync(join(os.tmpdir(), "raft-early-"));
    const net = new LocalNetwork();
    const storages = new Map<NodeId, GatedStorage>();
    const nodes = new Map<NodeId, RaftNode<number>>();
    try {
      for (const [i, id] of ids.entries()) {
        const storage = new GatedStorage(openDurableStorage(join(root, id)));
        storages.set(id, storage);
        nodes.set(id, startRaftNode({ id, peers: ids, storage, stateMachine: new ListMachine(), transport: net.transport(id), tickMs: 10, electionTick: 20, heartbeatTick: 2, random: seededRandom(i + 1), defaultTimeoutMs: 10_000 }));
      }
      const leaderId = (await nodes.get("n1")!.when({ leader: true })).leader!;
      const leader = nodes.get(leaderId)!;
      await leader.when({ role: "leader" });
      await leader.propose(text("warm-up"));

      const gate = storages.get(leaderId)!;
      gate.closed = true;
      // Resolves at the first follower ack of an index above what is committed now.
      const floor = leader.status().commit;
      const acked = new Promise<Message>((resolve) => {
        net.filter = (m) => {
          if (m.type === "appendResp" && m.to === leaderId && !m.reject && m.index > floor) resolve(m);
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
      assert.equal(settled, false, "the proposal resolved before the leader's fsync");
      assert.ok(leader.status().commit < ack.index, `commit ${leader.status().commit} counted the leader's unpersisted entry ${ack.index}`);
      gate.open();
      const r = await proposal;
      assert.equal(r.index, ack.index);
      assert.equal(r.result, 2);
      for (const n of nodes.values()) await n.when({ applied: r.index });
    } finally {
      net.filter = null;
      for (const n of nodes.values()) await n.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
