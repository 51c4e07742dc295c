// The driver: owns the timers and the I/O around the pure core. One loop per
// member handles each Ready in the order its doc comment requires — send the
// leader's appends, persist, send the rest, apply, advance — and batches
// everything that arrives while a Ready is being persisted into the next one,
// so many proposals share one fsync.

import { performance } from "node:perf_hooks";
import { decodeConfChange } from "../codec.js";
import { createRawNode } from "../core/raw-node.js";
import { ProposalDroppedError } from "../errors.js";
import type { ConfChange, ConfState, Entry, Message, NodeId, RaftMetrics, RaftStatus, RawNode, Ready, Snapshot, StateMachine } from "../types.js";
import type { ProposeOptions, RaftNode, RaftNodeOptions, RaftNodeStorage, TimeoutOptions } from "./api.js";
import { DedupeTable } from "./dedupe.js";
import { decodeCommand, decodeSnapshotData, encodeCommand, encodeSnapshotData } from "./envelope.js";
import { invalidDriverOption, outcomeUnknown, RaftDriverError, stopped } from "./errors.js";
import { silentRaftLogger, type RaftLogger } from "./logger.js";
import { PendingProposals, type ProposeResult } from "./proposals.js";
import { PendingReads } from "./reads.js";
import type { RaftTransport } from "./transport.js";
import { CommitNotices } from "./commit-notices.js";
import { Waiters, type WhenCondition } from "./waiters.js";
import { hop } from "./hop-trace.js";

function positiveInt(name: string, v: number | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min) throw invalidDriverOption(name, v, `an integer >= ${min}`);
  return v;
}

class RaftNodeImpl<R> implements RaftNode<R> {
  readonly id: NodeId;
  private readonly raw: RawNode;
  private readonly storage: RaftNodeStorage;
  private readonly sm: StateMachine<R>;
  private readonly transport: RaftTransport;
  private readonly notices: CommitNotices;
  private readonly metrics: RaftMetrics;
  private readonly log: RaftLogger;
  private readonly dedupe: DedupeTable;
  private readonly snapshotEvery: number;
  /** The snapshot being written, if any: one at a time. */
  private snapshotWrite: Promise<void> | null = null;
  private readonly defaultTimeoutMs: number;
  private readonly waiters = new Waiters();

  private applied: number;
  private lastSnapshotIndex: number;
  private inbox: Message[] = [];
  /** `proposal`: a normal proposal, which a leader may take while its own fsync runs (stepWhilePersisting). */
  private inputs: { readonly run: () => void; readonly fail?: (err: unknown) => void; readonly proposal?: true }[] = [];
  private ticks = 0;
  private scheduled = false;
  private processing: Promise<void> | null = null;
  private stoppedFlag = false;
  private readonly ticker: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly proposals: PendingProposals;
  private readonly reads: PendingReads;
  private round = 0;
  /** A Ready's save() is in flight (the loop is waiting for its fsync). */
  private persisting = false;
  /** When the save in flight started (performance.now()). */
  private persistingSince = 0;
  /** How long a save may run with the leader still replicating around it (half an election timeout). */
  private readonly earlySendMs: number;
  private earlyScheduled = false;
  private stopping: Promise<void> | null = null;

  constructor(o: RaftNodeOptions<R>) {
    this.id = o.id;
    this.storage = o.storage;
    this.sm = o.stateMachine;
    this.transport = o.transport;
    this.notices = new CommitNotices((msgs) => this.transport.send(msgs), positiveInt("commitNoticeDelayMs", o.commitNoticeDelayMs, 10, 0));
    this.metrics = o.metrics ?? {};
    this.log = o.logger ?? silentRaftLogger;
    const tickMs = positiveInt("tickMs", o.tickMs, 0);
    const electionTick = positiveInt("electionTick", o.electionTick, 0);
    this.snapshotEvery = positiveInt("snapshotEvery", o.snapshotEvery, 10_000, 0);
    this.defaultTimeoutMs = positiveInt("defaultTimeoutMs", o.defaultTimeoutMs, 20 * electionTick * tickMs);
    this.earlySendMs = (electionTick * tickMs) / 2;
    this.dedupe = new DedupeTable(new Map(), positiveInt("maxDedupeClients", o.maxDedupeClients, 10_000));
    this.proposals = new PendingProposals(this.metrics);
    this.reads = new PendingReads(o.id);

    if (this.storage.isEmpty() && o.peers.length > 0) {
      const voters = o.peers.includes(o.id) ? [...o.peers] : [...o.peers, o.id];
      this.storage.bootstrap({ voters, learners: [] }, encodeSnapshotData(new Map(), this.sm.snapshot()));
      this.log.info({ id: o.id, voters }, "bootstrapped a new raft group");
    }
    const snap = this.storage.snapshot();
    if (snap.meta.index > 0) this.restore(snap);
    this.applied = snap.meta.index;
    this.lastSnapshotIndex = snap.meta.index;

    this.raw = createRawNode({
      id: o.id,
      storage: this.storage,
      electionTick,
      heartbeatTick: positiveInt("heartbeatTick", o.heartbeatTick, 0),
      random: o.random,
      preVote: o.preVote ?? true,
      checkQuorum: o.checkQuorum ?? true,
      maxInflight: positiveInt("maxInflight", o.maxInflight, 256),
      maxMsgBytes: positiveInt("maxMsgBytes", o.maxMsgBytes, 1024 * 1024),
      leaseRead: o.leaseRead ?? false,
      applied: this.applied,
    });
    this.unsubscribe = this.transport.onMessage((m) => {
      if (this.stoppedFlag) return;
      hop?.("drv.inbox", `${m.type} ${m.index} ${m.entries.length}`);
      this.inbox.push(m);
      if (this.persisting && m.type === "appendResp") this.scheduleWhilePersisting();
      this.schedule();
    });
    this.ticker = setInterval(() => {
      this.ticks++;
      this.schedule();
    }, tickMs);
    this.schedule();
  }

  // ---- public API ----

  propose(data: Uint8Array, opts: ProposeOptions = {}): Promise<ProposeResult<R>> {
    let encoded: Uint8Array;
    try {
      encoded = encodeCommand(data, opts.requestId);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.submit((raw) => raw.propose(encoded), true) as Promise<ProposeResult<R>>;
  }

  read(opts: TimeoutOptions = {}): Promise<{ index: number }> {
    if (this.stoppedFlag) return Promise.reject(stopped(this.id, "read"));
    const r = this.reads.start(opts.timeoutMs ?? this.defaultTimeoutMs, () => this.raw.leader());
    this.enqueue(() => {
      r.issued(this.round);
      try {
        this.raw.readIndex(r.context);
      } catch (err) {
        r.failed(err);
      }
    });
    return r.promise;
  }

  when(cond: WhenCondition, opts: TimeoutOptions = {}): Promise<RaftStatus> {
    if (this.stoppedFlag) return Promise.reject(stopped(this.id, "when()"));
    return this.waiters.add(cond, opts.timeoutMs ?? this.defaultTimeoutMs, () => this.status());
  }

  leader(): NodeId | null {
    return this.raw.leader();
  }

  status(): RaftStatus {
    return { ...this.raw.status(), applied: this.applied };
  }

  campaign(): Promise<void> {
    return this.handOff(() => this.raw.campaign());
  }

  transferLeadership(to: NodeId, opts: TimeoutOptions = {}): Promise<RaftStatus> {
    return this.handOff(() => this.raw.transferLeader(to)).then(() => this.when({ leader: to }, opts));
  }

  async replaceMember(remove: NodeId, add: NodeId, opts: TimeoutOptions = {}): Promise<ConfState> {
    await this.confChange({ type: "replaceVoter", remove, add });
    // The core adds `add` as a learner and promotes it once caught up (types.ts ConfChange).
    return (await this.when({ voter: add }, opts)).conf;
  }

  addLearner(id: NodeId): Promise<ConfState> {
    return this.confChange({ type: "addLearner", node: id });
  }

  promote(id: NodeId): Promise<ConfState> {
    return this.confChange({ type: "promoteLearner", node: id });
  }

  removeMember(id: NodeId): Promise<ConfState> {
    return this.confChange({ type: "removeNode", node: id });
  }

  stop(): Promise<void> {
    // Once, however often it is called: every caller waits for the same shutdown.
    return (this.stopping ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    // Halted: pending work was already failed with the cause; the rest is the same.
    const halted = this.stoppedFlag;
    if (!halted) {
      this.stoppedFlag = true;
      clearInterval(this.ticker);
      this.unsubscribe();
      this.notices.clear();
    }
    // A save's fsync or a snapshot write may still be on the thread pool: closing
    // the WAL (and releasing the data dir) under it is what this waits out.
    await this.processing;
    await this.snapshotWrite;
    if (!halted) this.failAll(stopped(this.id, "operation"));
    this.storage.close();
  }

  // ---- the loop ----

  private async confChange(cc: ConfChange): Promise<ConfState> {
    const r = await this.submit((raw) => raw.proposeConfChange(cc));
    return r.result as ConfState;
  }

  private submit(append: (raw: RawNode) => { term: number; index: number }, proposal = false): Promise<ProposeResult<unknown>> {
    if (this.stoppedFlag) return Promise.reject(stopped(this.id, "proposal"));
    const t0 = performance.now();
    hop?.("drv.submit");
    return new Promise((resolve, reject) => {
      this.enqueue(() => {
        hop?.("drv.proposeRun");
        let at: { term: number; index: number };
        try {
          at = append(this.raw);
        } catch (err) {
          this.metrics.proposalFailed?.(err instanceof ProposalDroppedError ? err.reason : "error");
          reject(err);
          return;
        }
        this.proposals.add(at, t0, resolve, reject, this.raw.leader());
      }, reject, proposal);
    });
  }

  /** Runs `fn` against the core inside the loop; its throw rejects the caller instead of halting the member. */
  private handOff(fn: () => void): Promise<void> {
    if (this.stoppedFlag) return Promise.reject(stopped(this.id, "operation"));
    return new Promise((resolve, reject) => {
      this.enqueue(() => {
        try {
          fn();
          resolve();
        } catch (err) {
          reject(err);
        }
      }, reject);
    });
  }

  private enqueue(run: () => void, fail?: (err: unknown) => void, proposal = false): void {
    this.inputs.push(proposal ? { run, fail, proposal } : fail ? { run, fail } : { run });
    if (proposal && this.persisting && this.raw.leader() === this.id) this.scheduleWhilePersisting();
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.processing || this.stoppedFlag) return;
    this.scheduled = true;
    // setImmediate, not a microtask: lets every proposal and message of the
    // current macrotask join the same Ready (and fsync).
    setImmediate(() => {
      this.scheduled = false;
      if (this.processing || this.stoppedFlag) return;
      this.processing = this.run().finally(() => {
        this.processing = null;
        if (!this.stoppedFlag && (this.inputs.length || this.inbox.length || this.ticks)) this.schedule();
      });
    });
  }

  private async run(): Promise<void> {
    try {
      while (!this.stoppedFlag) {
        this.drainInputs();
        if (!this.raw.hasReady()) break;
        const rd = this.raw.ready();
        hop?.("drv.ready", `e=${rd.entries.length} c=${rd.committedEntries.length} sync=${rd.mustSync} pre=${rd.messagesBeforePersist.length} post=${rd.messagesAfterPersist.length}`);
        await this.handleReady(rd);
        this.maybeSnapshot();
        this.waiters.check(() => this.status());
      }
      this.waiters.check(() => this.status());
    } catch (err) {
      this.halt(err);
    }
  }

  /** Storage or state-machine failure: continuing could acknowledge what is not durable. */
  private halt(err: unknown): void {
    if (this.stoppedFlag) return;
    this.log.error({ id: this.id, err: String(err) }, "raft node halted");
    this.stoppedFlag = true;
    clearInterval(this.ticker);
    this.unsubscribe();
    this.notices.clear();
    this.failAll(new RaftDriverError("RAFT_STOPPED", `Raft node ${this.id} halted: ${(err as Error).message}`, { id: this.id }, false, { cause: err }));
  }

  private drainInputs(): void {
    this.round++;
    for (; this.ticks > 0; this.ticks--) this.raw.tick();
    const msgs = this.inbox;
    this.inbox = [];
    for (const m of msgs) this.raw.step(m);
    const inputs = this.inputs;
    this.inputs = [];
    for (const input of inputs) input.run();
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) {
      this.metrics.isLeader?.(rd.softState.role === "leader");
      if (rd.softState.role !== "leader") this.notices.flush();
      this.log.debug({ id: this.id, ...rd.softState }, "role change");
    }
    // 1. persist (fsync when mustSync) before anything that depends on it leaves this node.
    //    save() writes the WAL and starts the fdatasync before it returns its promise.
    const saved = this.storage.save(rd);
    this.persisting = true;
    this.persistingSince = performance.now();
    // 0. A leader's appends go out while its own fsync runs, so the followers
    //    write while we do: one fsync of commit latency instead of two (types.ts
    //    Ready). After starting the fsync, not before: on a busy machine each
    //    socket write can hand the CPU to the woken follower for a while.
    if (rd.messagesBeforePersist.length) this.notices.submit(rd.messagesBeforePersist);
    try {
      await saved;
    } finally {
      this.persisting = false;
    }
    // Stopped or halted (e.g. by stepWhilePersisting) while the write ran: nothing more leaves or applies.
    if (this.stoppedFlag) return;
    hop?.("drv.saved");
    if (rd.hardState) {
      this.metrics.term?.(rd.hardState.term);
      this.metrics.commitIndex?.(rd.hardState.commit);
    }
    // 2. send what promises durability.
    if (rd.messagesAfterPersist.length) this.notices.submit(rd.messagesAfterPersist);
    // 3. apply.
    if (rd.snapshot && rd.snapshot.meta.index > this.applied) this.installSnapshot(rd.snapshot);
    for (const e of rd.committedEntries) this.applyEntry(e);
    this.reads.confirm(rd.readStates);
    if (rd.softState) this.reads.abortUnconfirmed(rd.softState.leader, this.round);
    // 4. advance.
    this.raw.advance(rd);
    for (const m of rd.messages) if (m.type === "snapshot") this.raw.reportSnapshot(m.to, true);
    this.reads.settle(this.applied);
  }

  private scheduleWhilePersisting(): void {
    if (this.earlyScheduled) return;
    this.earlyScheduled = true;
    // setImmediate: every ack and proposal of the current macrotask in one step.
    setImmediate(() => {
      this.earlyScheduled = false;
      if (!this.persisting || this.stoppedFlag) return;
      try {
        this.stepWhilePersisting();
      } catch (err) {
        this.halt(err);
      }
    });
  }

  /**
   * While a leader's own fsync runs, the pipeline keeps moving:
   * - its followers' acknowledgements may already make a quorum (two of
   *   three): step them and apply what they commit, so the client's answer
   *   does not wait for the slower disk;
   * - proposals at the head of the queue are appended and their appends sent
   *   now (RawNode.takeMessagesBeforePersist), so the followers write them in
   *   parallel with our fsync. Otherwise the next write of a one-at-a-time
   *   client would wait out the rest of a slow fsync that its predecessor's
   *   early commit had just hidden.
   * The new entries are persisted by the next Ready, and everything else the
   * steps produce (answers, the new hard state) waits for it as usual.
   * Leaders only: a follower's Ready may carry a snapshot that applying
   * entries ahead of it would skip. Proposals go early only while nothing
   * but acks is queued (a vote or a newer term's append comes first, in
   * order) and only for half an election timeout: the early appends keep
   * the followers from timing out, so a leader whose disk hangs must stop
   * sending them for another member to take over.
   */
  private stepWhilePersisting(): void {
    if (this.raw.leader() !== this.id) return;
    const acks = this.inbox.filter((m) => m.type === "appendResp");
    if (acks.length) {
      this.inbox = this.inbox.filter((m) => m.type !== "appendResp");
      for (const m of acks) this.raw.step(m);
    }
    const inOrder = this.inbox.every((m) => m.type === "heartbeatResp");
    // Leader again: an ack from a newer term deposes us.
    if (inOrder && this.raw.leader() === this.id && performance.now() - this.persistingSince < this.earlySendMs) {
      let n = 0;
      while (n < this.inputs.length && this.inputs[n]!.proposal) n++;
      if (n > 0) {
        hop?.("drv.earlyPropose", n);
        for (const input of this.inputs.splice(0, n)) input.run();
      }
      const out = this.raw.takeMessagesBeforePersist();
      if (out.length) this.notices.submit(out);
    }
    const ents = this.raw.takeCommitted();
    if (ents.length === 0) return;
    hop?.("drv.early", ents.length);
    for (const e of ents) this.applyEntry(e);
    this.reads.settle(this.applied);
    this.waiters.check(() => this.status());
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    let result: unknown;
    let failure: unknown = null;
    switch (e.kind) {
      case "noop":
        break;
      case "conf": {
        const conf = this.raw.applyConfChange(decodeConfChange(e.data));
        this.storage.setConfState(conf);
        result = conf;
        break;
      }
      case "normal": {
        try {
          const { request, command } = decodeCommand(e.data, e.index);
          const ctx = { index: e.index, term: e.term };
          result = request ? this.dedupe.apply(request, e.index, () => this.sm.apply(command, ctx)) : this.sm.apply(command, ctx);
        } catch (err) {
          // Deterministic: every member fails this entry the same way, so the
          // log stays consistent; only the proposer learns why.
          failure =
            err instanceof RaftDriverError
              ? err
              : new RaftDriverError("RAFT_APPLY_FAILED", `The state machine threw applying index ${e.index}: ${(err as Error).message}`, { index: e.index }, false, { cause: err });
        }
        break;
      }
    }
    this.applied = e.index;
    hop?.("drv.applied", e.index);
    this.metrics.appliedIndex?.(e.index);
    this.proposals.applied(e, result, failure, this.raw.leader());
  }

  private installSnapshot(snap: Snapshot): void {
    const t0 = performance.now();
    this.restore(snap);
    this.applied = snap.meta.index;
    this.lastSnapshotIndex = snap.meta.index;
    this.proposals.replacedBySnapshot(snap.meta.index);
    this.metrics.appliedIndex?.(snap.meta.index);
    this.metrics.snapshotInstalled?.((performance.now() - t0) / 1000);
    this.log.info({ id: this.id, index: snap.meta.index, term: snap.meta.term }, "installed snapshot");
  }

  private restore(snap: Snapshot): void {
    const { table, machine } = decodeSnapshotData(snap.data, snap.meta.index);
    this.sm.restore(machine);
    this.dedupe.replace(table);
  }

  private maybeSnapshot(): void {
    if (this.stoppedFlag || this.snapshotEvery === 0 || this.applied - this.lastSnapshotIndex < this.snapshotEvery) return;
    if (this.applied <= this.storage.snapshot().meta.index || this.snapshotWrite) return;
    // A leader may have applied entries its own log does not hold yet (stepWhilePersisting): the next Ready writes them.
    if (this.applied > this.storage.lastIndex()) return;
    const t0 = performance.now();
    const index = this.applied;
    // The state is captured here, on the loop; the file is written while the loop goes on.
    const data = encodeSnapshotData(this.dedupe.entries, this.sm.snapshot());
    this.lastSnapshotIndex = index;
    this.snapshotWrite = this.storage
      .createSnapshot(index, this.raw.status().conf, data)
      .then(
        () => {
          this.metrics.snapshotTaken?.((performance.now() - t0) / 1000);
          this.log.debug({ id: this.id, index, ms: Math.round(performance.now() - t0) }, "snapshot taken");
        },
        (err: unknown) => {
          // A snapshot that can never fit is a configuration error: halt, as a write that cannot be made durable does.
          if ((err as { code?: unknown } | null)?.code === "RAFT_SNAPSHOT_TOO_LARGE") return this.halt(err);
          // Otherwise nothing is lost (the WAL drops only segments below a durable snapshot): try again after the next interval.
          this.log.error({ id: this.id, index, err: String(err) }, `snapshot not completed; the WAL still holds everything since the newest durable one; next attempt after ${this.snapshotEvery} more entries`);
        },
      )
      // A throwing metrics or log sink must not become an unhandled rejection (it would end the process, every member with it).
      .catch(() => {})
      .finally(() => {
        this.snapshotWrite = null;
      });
  }

  private failAll(err: RaftDriverError): void {
    // A graceful stop leaves appended proposals undecided (they may still commit elsewhere); a halt reports its cause.
    this.proposals.failAll((index) => (err.temporary ? outcomeUnknown(index, `node ${this.id} stopped before it was applied`) : err));
    this.reads.failAll(err);
    // Proposals still queued never reached the core: nothing was appended, so they fail plainly.
    const inputs = this.inputs;
    this.inputs = [];
    for (const input of inputs) input.fail?.(stopped(this.id, "proposal"));
    this.waiters.rejectAll(err);
  }
}

/** Starts a member: restores the state machine from storage, then ticks, steps and handles Readys until stop(). */
export function startRaftNode<R>(opts: RaftNodeOptions<R>): RaftNode<R> {
  return new RaftNodeImpl(opts);
}
