// The driver takes a snapshot on its loop (the state machine's bytes at the
// applied index) but the file is written while the loop goes on: a write of
// a few megabytes takes tens of milliseconds to fsync, and on the loop it
// stalled every write. A gate in front of one member's real DurableStorage
// holds createSnapshot open, so the test sees the state in between.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { LocalNetwork } from "../src/driver/local-transport.js";
import { startRaftNode } from "../src/driver/raft-node.js";
import type { RaftNode } from "../src/driver/api.js";
import type { RaftLogger } from "../src/driver/logger.js";
import type { RaftDriverError } from "../src/driver/errors.js";
import { openDurableStorage, type DurableStorage } from "../src/storage/durable-storage.js";
import type { ConfState, Snapshot } from "../src/types.js";
import { ListMachine, seededRandom, text, until } from "./fixtures/cluster.js";
import { DelegatingStorage } from "./fixtures/delegating-storage.js";

/** While `holding`, createSnapshot waits for release(), then succeeds, or fails if `failNext` was set when it began. */
class SnapshotGate extends DelegatingStorage {
  holding = false;
  failNext = false;
  calls: number[] = [];
  private pending: (() => void)[] = [];
  override createSnapshot = (index: number, conf: ConfState, data: Uint8Array): Promise<Snapshot> => {
    this.calls.push(index);
    if (!this.holding) return this.inner.createSnapshot(index, conf, data);
    const fail = this.failNext;
    this.failNext = false;
    return new Promise<Snapshot>((resolve, reject) => {
      this.pending.push(() => (fail ? reject(new Error("ENOSPC: no space left on device (test)")) : resolve(this.inner.createSnapshot(index, conf, data))));
    });
  };
  get held(): number {
    return this.pending.length;
  }
  release(): void {
    for (const run of this.pending.splice(0)) run();
  }
}

describe("raft driver: snapshots are written off the loop", () => {
  test("writes commit while a snapshot is being written; one write at a time; a failed write is logged and retried; stop() waits for it", { timeout: 30_000 }, async () => {
    const ids = ["n1", "n2", "n3"];
    const root = fs.mkdtempSync(join(os.tmpdir(), "raft-snapwrite-"));
    const net = new LocalNetwork();
    const gates = new Map<string, SnapshotGate>();
    const nodes = new Map<string, RaftNode<number>>();
    const errors: string[] = [];
    const logger: RaftLogger = { debug() {}, info() {}, warn() {}, error: (_obj, msg) => errors.push(msg) };
    try {
      for (const [i, id] of ids.entries()) {
        const gate = new SnapshotGate(openDurableStorage(join(root, id)));
        gates.set(id, gate);
        nodes.set(id, startRaftNode({ id, peers: ids, storage: gate, stateMachine: new ListMachine(), transport: net.transport(id), tickMs: 10, electionTick: 20, heartbeatTick: 2, random: seededRandom(i + 1), snapshotEvery: 5, logger }));
      }
      const leaderId = (await nodes.get("n1")!.when({ leader: true })).leader!;
      const leader = nodes.get(leaderId)!;
      const gate = gates.get(leaderId)!;
      gate.holding = true;
      await leader.when({ role: "leader" });
      for (let i = 0; i < 5; i++) await leader.propose(text(`a${i}`));
      await until(() => gate.held === 1, "the leader started a snapshot");
      const first = gate.calls.at(-1)!;
      const callsBefore = gate.calls.length;
      // Twenty more entries (four intervals) commit and apply while that write is held.
      for (let i = 0; i < 20; i++) await leader.propose(text(`b${i}`));
      assert.ok(leader.status().applied >= first + 20);
      assert.equal(gate.calls.length, callsBefore, "a second snapshot started while one was being written");

      // A snapshot starts only on an apply with no write in flight: write until one has started.
      const writeUntilHeld = async (tag: string): Promise<void> => {
        for (let i = 0; gate.held === 0; i++) {
          if (i > 10_000) throw new Error(`no snapshot started (${tag})`);
          await leader.propose(text(`${tag}${i}`));
          await new Promise((r) => setImmediate(r));
        }
      };
      // The write completes; the next one (due already) starts at a later apply, and fails.
      gate.failNext = true;
      gate.release();
      await writeUntilHeld("c");
      const failing = gate.calls.at(-1)!;
      assert.ok(failing > first);
      // The driver started the next write only after the first resolved: its file is on disk.
      const snapName = (i: number): string => `${i.toString(16).padStart(16, "0")}-`;
      assert.ok(fs.readdirSync(join(root, leaderId, "snap")).some((n) => n.startsWith(snapName(first)) && n.endsWith(".snap")), "the first snapshot's file is durable");
      gate.release();
      await until(() => errors.some((m) => m.startsWith("snapshot not completed")), "the failure was logged");
      // The loop goes on, and the next interval tries again.
      await writeUntilHeld("d");
      const retried = gate.calls.at(-1)!;
      assert.ok(retried >= failing + 5);

      // stop() does not close storage under a write in flight.
      let stopped = false;
      const stopping = leader.stop().then(() => (stopped = true));
      for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
      assert.equal(stopped, false, "stop() returned with a snapshot write in flight");
      gate.release();
      await stopping;
      assert.equal(gate.inner.snapshot().meta.index, retried);
    } finally {
      for (const g of gates.values()) {
        g.holding = false;
        g.release();
      }
      for (const n of nodes.values()) await n.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("raft driver: snapshot failures", () => {
  /** One member (a group of one commits alone), snapshot every 3 entries. */
  async function single(root: string, opts: { maxBytes?: number; snapshotTaken?: () => void; logger?: RaftLogger }): Promise<RaftNode<number>> {
    const net = new LocalNetwork();
    const storage = openDurableStorage(root, opts.maxBytes ? { snapshots: { maxBytes: opts.maxBytes } } : {});
    const node = startRaftNode({ id: "solo", peers: ["solo"], storage, stateMachine: new ListMachine(), transport: net.transport("solo"), tickMs: 10, electionTick: 10, heartbeatTick: 2, random: seededRandom(7), snapshotEvery: 3, ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.snapshotTaken ? { metrics: { snapshotTaken: opts.snapshotTaken } } : {}) });
    await node.when({ role: "leader" });
    return node;
  }

  test("a snapshot larger than maxBytes halts the member (a configuration error), as before the write moved off the loop", { timeout: 30_000 }, async () => {
    const root = fs.mkdtempSync(join(os.tmpdir(), "raft-snaptoolarge-"));
    const halted: string[] = [];
    const logger: RaftLogger = { debug() {}, info() {}, warn() {}, error: (obj, msg) => msg === "raft node halted" && halted.push(String(obj["err"])) };
    const node = await single(root, { maxBytes: 64, logger });
    try {
      // ListMachine's snapshot is the JSON of every item: past 64 bytes after three long ones
      // (the halt fails whatever is still pending, so these may settle either way).
      for (let i = 0; i < 3; i++) await node.propose(text(`a fairly long command number ${i}`)).catch(() => {});
      await until(() => halted.length > 0, "the member halted");
      assert.match(halted[0]!, /RAFT_SNAPSHOT_TOO_LARGE|maxBytes 64/);
      await assert.rejects(node.propose(text("after")), (e: RaftDriverError) => e.code === "RAFT_STOPPED");
    } finally {
      await node.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test("a throwing metrics sink does not become an unhandled rejection; the member keeps snapshotting", { timeout: 30_000 }, async () => {
    const root = fs.mkdtempSync(join(os.tmpdir(), "raft-snapmetrics-"));
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on("unhandledRejection", onUnhandled);
    let calls = 0;
    let onSecond!: () => void;
    const twoReported = new Promise<void>((r) => (onSecond = r));
    const node = await single(root, {
      snapshotTaken: () => {
        if (++calls === 2) onSecond();
        throw new Error("metrics sink broke");
      },
    });
    try {
      // A snapshot starts only on an apply with none in flight: keep writing until two were reported.
      let written = 0;
      let reported = false;
      void twoReported.then(() => (reported = true));
      while (!reported) {
        if (written > 10_000) throw new Error("two snapshots were never reported");
        await node.propose(text(`c${written++}`));
      }
      // Let any rejection surface (unhandledRejection fires after the microtask queue drains).
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
      assert.equal((await node.propose(text("still here"))).result, written + 1);
    } finally {
      await node.stop();
      process.off("unhandledRejection", onUnhandled);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
