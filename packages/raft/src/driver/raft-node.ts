// The driver: owns the timers and the I/O around the pure core. One loop per
// member handles each Ready in the order its doc comment requires — persist,
// send, apply, advance — and batches everything that arrives while a Ready
// is being persisted into the next one, so many proposals share one fsync.

import { performance } from "node:perf_hooks";
import { decodeConfChange, encodeConfChange } from "../codec.js";
import { createRawNode } from "../core/raw-node.js";
import { ProposalDroppedError } from "../errors.js";
import type {
  ConfChange,
  ConfState,
  Entry,
  LogStorage,
  Message,
  NodeId,
  RaftMetrics,
  RaftStatus,
  RandomInt,
  RawNode,
  Ready,
  Snapshot,
  StateMachine,
} from "../types.js";
import type { PersistableReady } from "../storage/durable-storage.js";
import { DedupeTable } from "./dedupe.js";
import { decodeCommand, decodeSnapshotData, encodeCommand, encodeSnapshotData, type RequestId } from "./envelope.js";
import { invalidDriverOption, outcomeUnknown, overwritten, RaftDriverError, stopped, timeout } from "./errors.js";
import { silentRaftLogger, type RaftLogger } from "./logger.js";
import type { RaftTransport } from "./transport.js";
import { Waiters, type WhenCondition } from "./waiters.js";

/** What the driver needs from storage; DurableStorage implements it. */
export interface RaftNodeStorage extends LogStorage {
  isEmpty(): boolean;
  bootstrap(conf: ConfState, stateMachineSnapshot: Uint8Array): void;
  save(rd: PersistableReady): Promise<void>;
  setConfState(conf: ConfState): void;
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot;
  close(): void;
}

export interface RaftNodeOptions<R> {
  readonly id: NodeId;
  /** Founding voters (this member included). Only used when `storage` is empty; pass [] for a member that joins an existing group as a learner. */
  readonly peers: readonly NodeId[];
  readonly storage: RaftNodeStorage;
  readonly stateMachine: StateMachine<R>;
  readonly transport: RaftTransport;
  readonly tickMs: number;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly random: RandomInt;
  readonly metrics?: RaftMetrics;
  readonly logger?: RaftLogger;
  /** Take a snapshot (and compact) every this many applied entries; 0 disables. Default 10,000. */
  readonly snapshotEvery?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly maxInflight?: number;
  readonly maxMsgBytes?: number;
  readonly leaseRead?: boolean;
  /** Clients remembered by the request-id dedupe table. Default 10,000. */
  readonly maxDedupeClients?: number;
  /** Default timeout of read(), when() and membership calls. Default 20 election timeouts. */
  readonly defaultTimeoutMs?: number;
}

export interface ProposeOptions {
  /** Makes a retried proposal apply at most once; the retry resolves with the first result. */
  readonly requestId?: RequestId;
}

export interface ProposeResult<R> {
  readonly term: number;
  readonly index: number;
  readonly result: R;
}

export interface TimeoutOptions {
  readonly timeoutMs?: number;
}

export interface RaftNode<R> {
  readonly id: NodeId;
  /** Resolves once the command is committed and applied here, with the state machine's return value. */
  propose(data: Uint8Array, opts?: ProposeOptions): Promise<ProposeResult<R>>;
  /** Linearizable read barrier (ReadIndex): resolves once this member has applied everything committed when the read started. */
  read(opts?: TimeoutOptions): Promise<{ index: number }>;
  when(cond: WhenCondition, opts?: TimeoutOptions): Promise<RaftStatus>;
  status(): RaftStatus;
  /** Starts an election here now (operator action); rejects if this member cannot campaign. */
  campaign(): Promise<void>;
  transferLeadership(to: NodeId, opts?: TimeoutOptions): Promise<RaftStatus>;
  /** Swaps voter `remove` for `add` (see ConfChange "replaceVoter"); resolves once `add` is a voter here. */
  replaceMember(remove: NodeId, add: NodeId, opts?: TimeoutOptions): Promise<ConfState>;
  addLearner(id: NodeId, opts?: TimeoutOptions): Promise<ConfState>;
  promote(id: NodeId, opts?: TimeoutOptions): Promise<ConfState>;
  removeMember(id: NodeId, opts?: TimeoutOptions): Promise<ConfState>;
  stop(): Promise<void>;
}

interface PendingProposal {
  readonly term: number;
  readonly t0: number;
  readonly resolve: (r: ProposeResult<unknown>) => void;
  readonly reject: (e: unknown) => void;
}

interface PendingRead {
  index: number;
  /** drainInputs() round in which the core got the request (-1: not yet). */
  round: number;
  readonly resolve: (r: { index: number }) => void;
  readonly reject: (e: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

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
  private readonly metrics: RaftMetrics;
  private readonly log: RaftLogger;
  private readonly dedupe: DedupeTable;
  private readonly snapshotEvery: number;
  private readonly defaultTimeoutMs: number;
  private readonly waiters = new Waiters();

  private applied: number;
  private lastSnapshotIndex: number;
  private inbox: Message[] = [];
  private inputs: { readonly run: () => void; readonly fail?: (err: unknown) => void }[] = [];
  private ticks = 0;
  private scheduled = false;
  private processing: Promise<void> | null = null;
  private stoppedFlag = false;
  private readonly ticker: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, PendingRead>();
  private readonly readsAwaitingApply: PendingRead[] = [];
  private readSeq = 0;
  private round = 0;

  constructor(o: RaftNodeOptions<R>) {
    this.id = o.id;
    this.storage = o.storage;
    this.sm = o.stateMachine;
    this.transport = o.transport;
    this.metrics = o.metrics ?? {};
    this.log = o.logger ?? silentRaftLogger;
    const tickMs = positiveInt("tickMs", o.tickMs, 0);
    const electionTick = positiveInt("electionTick", o.electionTick, 0);
    this.snapshotEvery = positiveInt("snapshotEvery", o.snapshotEvery, 10_000, 0);
    this.defaultTimeoutMs = positiveInt("defaultTimeoutMs", o.defaultTimeoutMs, 20 * electionTick * tickMs);
    this.dedupe = new DedupeTable(new Map(), positiveInt("maxDedupeClients", o.maxDedupeClients, 10_000));

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
      this.inbox.push(m);
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
    return this.submit((raw) => raw.propose(encoded)) as Promise<ProposeResult<R>>;
  }

  read(opts: TimeoutOptions = {}): Promise<{ index: number }> {
    if (this.stoppedFlag) return Promise.reject(stopped(this.id, "read"));
    const ms = opts.timeoutMs ?? this.defaultTimeoutMs;
    const ctx = new TextEncoder().encode(`${this.id}/read/${++this.readSeq}`);
    const key = hex(ctx);
    return new Promise((resolve, reject) => {
      const pr: PendingRead = {
        index: -1,
        round: -1,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.reads.delete(key);
          const i = this.readsAwaitingApply.indexOf(pr);
          if (i >= 0) this.readsAwaitingApply.splice(i, 1);
          reject(timeout("a ReadIndex confirmation", ms, { id: this.id, leader: this.raw.status().leader }));
        }, ms),
      };
      this.reads.set(key, pr);
      this.enqueue(() => {
        pr.round = this.round;
        try {
          this.raw.readIndex(ctx);
        } catch (err) {
          clearTimeout(pr.timer);
          this.reads.delete(key);
          reject(err);
        }
      });
    });
  }

  when(cond: WhenCondition, opts: TimeoutOptions = {}): Promise<RaftStatus> {
    if (this.stoppedFlag) return Promise.reject(stopped(this.id, "when()"));
    return this.waiters.add(cond, opts.timeoutMs ?? this.defaultTimeoutMs, () => this.status());
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

  async stop(): Promise<void> {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    clearInterval(this.ticker);
    this.unsubscribe();
    await this.processing;
    this.failAll(stopped(this.id, "operation"));
    this.storage.close();
  }

  // ---- the loop ----

  private async confChange(cc: ConfChange): Promise<ConfState> {
    const r = await this.submit((raw) => raw.proposeConfChange(cc));
    return r.result as ConfState;
  }

  private submit(append: (raw: RawNode) => { term: number; index: number }): Promise<ProposeResult<unknown>> {
    if (this.stoppedFlag) return Promise.reject(stopped(this.id, "proposal"));
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      this.enqueue(() => {
        let at: { term: number; index: number };
        try {
          at = append(this.raw);
        } catch (err) {
          this.metrics.proposalFailed?.(err instanceof ProposalDroppedError ? err.reason : "error");
          reject(err);
          return;
        }
        // A reused index means our earlier entry there was truncated away.
        const prev = this.proposals.get(at.index);
        if (prev) this.failProposal(prev, overwritten(at.index, prev.term, at.term, this.raw.status().leader), "overwritten");
        this.proposals.set(at.index, { term: at.term, t0, resolve, reject });
      }, reject);
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

  private enqueue(run: () => void, fail?: (err: unknown) => void): void {
    this.inputs.push(fail ? { run, fail } : { run });
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
        await this.handleReady(this.raw.ready());
        this.maybeSnapshot();
        this.waiters.check(this.status());
      }
      this.waiters.check(this.status());
    } catch (err) {
      // Storage or state-machine failure: continuing could acknowledge what is not durable.
      this.log.error({ id: this.id, err: String(err) }, "raft node halted");
      this.stoppedFlag = true;
      clearInterval(this.ticker);
      this.unsubscribe();
      this.failAll(new RaftDriverError("RAFT_STOPPED", `Raft node ${this.id} halted: ${(err as Error).message}`, { id: this.id }, false, { cause: err }));
    }
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
      this.log.debug({ id: this.id, ...rd.softState }, "role change");
    }
    // 1. persist (fsync when mustSync) before anything that depends on it leaves this node.
    await this.storage.save(rd);
    if (rd.hardState) {
      this.metrics.term?.(rd.hardState.term);
      this.metrics.commitIndex?.(rd.hardState.commit);
    }
    // 2. send.
    if (rd.messages.length) this.transport.send(rd.messages);
    // 3. apply.
    if (rd.snapshot && rd.snapshot.meta.index > this.applied) this.installSnapshot(rd.snapshot);
    for (const e of rd.committedEntries) this.applyEntry(e);
    for (const rs of rd.readStates) {
      const pr = this.reads.get(hex(rs.context));
      if (!pr) continue;
      this.reads.delete(hex(rs.context));
      pr.index = rs.index;
      this.readsAwaitingApply.push(pr);
    }
    if (rd.softState) this.abortUnconfirmedReads(rd.softState.leader);
    // 4. advance.
    this.raw.advance(rd);
    for (const m of rd.messages) if (m.type === "snapshot") this.raw.reportSnapshot(m.to, true);
    this.settleReads();
  }

  /**
   * A ReadIndex request not yet confirmed when the leader changes may have
   * died with the old leader's pending queue; fail it now (retryable) rather
   * than at its timeout. Confirmed reads stay valid: their index was committed.
   */
  private abortUnconfirmedReads(leader: NodeId | null): void {
    for (const [key, pr] of this.reads) {
      // Requests handed to the core in this round were issued under the new leadership.
      if (pr.round < 0 || pr.round === this.round) continue;
      clearTimeout(pr.timer);
      this.reads.delete(key);
      pr.reject(
        new RaftDriverError(
          "RAFT_READ_ABORTED",
          `Read on ${this.id} aborted: leadership changed before the read index was confirmed${leader ? ` (leader now ${leader})` : " (no leader yet)"}; retry the read.`,
          { id: this.id, leader },
          true,
        ),
      );
    }
  }

  private settleReads(): void {
    for (let i = 0; i < this.readsAwaitingApply.length; ) {
      const pr = this.readsAwaitingApply[i]!;
      if (pr.index <= this.applied) {
        clearTimeout(pr.timer);
        this.readsAwaitingApply.splice(i, 1);
        pr.resolve({ index: pr.index });
      } else i++;
    }
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
    this.metrics.appliedIndex?.(e.index);
    const p = this.proposals.get(e.index);
    if (!p) return;
    this.proposals.delete(e.index);
    if (p.term !== e.term) {
      this.failProposal(p, overwritten(e.index, p.term, e.term, this.raw.status().leader), "overwritten");
    } else if (failure) {
      this.failProposal(p, failure, "applyFailed");
    } else {
      this.metrics.proposalCommitted?.();
      this.metrics.commitLatencySeconds?.((performance.now() - p.t0) / 1000);
      p.resolve({ term: e.term, index: e.index, result });
    }
  }

  private installSnapshot(snap: Snapshot): void {
    const t0 = performance.now();
    this.restore(snap);
    this.applied = snap.meta.index;
    this.lastSnapshotIndex = snap.meta.index;
    // Our entries up to the snapshot were replaced wholesale; which of them committed is not knowable here.
    for (const [index, p] of this.proposals) {
      if (index <= snap.meta.index) {
        this.proposals.delete(index);
        this.failProposal(p, outcomeUnknown(index, `a snapshot up to index ${snap.meta.index} replaced this member's log`), "unknown");
      }
    }
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
    if (this.snapshotEvery === 0 || this.applied - this.lastSnapshotIndex < this.snapshotEvery) return;
    if (this.applied <= this.storage.snapshot().meta.index) return;
    const t0 = performance.now();
    const data = encodeSnapshotData(this.dedupe.entries, this.sm.snapshot());
    this.storage.createSnapshot(this.applied, this.raw.status().conf, data);
    this.lastSnapshotIndex = this.applied;
    this.metrics.snapshotTaken?.((performance.now() - t0) / 1000);
    this.log.debug({ id: this.id, index: this.applied }, "snapshot taken");
  }

  private failProposal(p: PendingProposal, err: unknown, reason: string): void {
    this.metrics.proposalFailed?.(reason);
    p.reject(err);
  }

  private failAll(err: RaftDriverError): void {
    for (const [index, p] of this.proposals) {
      this.failProposal(p, err.code === "RAFT_STOPPED" && err.temporary ? outcomeUnknown(index, `node ${this.id} stopped before it was applied`) : err, "stopped");
    }
    this.proposals.clear();
    for (const pr of [...this.reads.values(), ...this.readsAwaitingApply]) {
      clearTimeout(pr.timer);
      pr.reject(err);
    }
    this.reads.clear();
    this.readsAwaitingApply.length = 0;
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
