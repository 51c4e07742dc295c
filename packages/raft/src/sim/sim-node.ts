// One simulated member: a RawNode over a MemoryStorage that stands for the
// disk. Everything else (the core, the state machine, pending client
// requests) is volatile and lost in a crash; a restart rebuilds the core from
// the storage and the state machine from the storage's snapshot, exactly as
// a real process would. A crash can hit at any point of the Ready handling.
import { decodeConfChange } from "../codec.js";
import { RawNodeImpl } from "../core/raw-node.js";
import { contextKey } from "../core/read-only.js";
import type { MemoryStorage } from "../memory-storage.js";
import type { Entry, Message, NodeId, Ready } from "../types.js";
import { KvStateMachine } from "./kv-machine.js";
import type { Prng } from "./prng.js";

/** Where a crash interrupts the Ready handling (types.ts Ready steps 1–4). */
export const CRASH_POINTS = ["before-persist", "after-early-send-before-persist", "after-entries-before-hardstate", "after-persist-before-send", "after-send-before-apply", "after-apply-before-advance"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface NodeHooks {
  send(from: NodeId, m: Message): void;
  /** Every applied entry, for the cross-node state-machine-safety check. */
  onApply(node: NodeId, e: Entry): void;
  onSnapshotRestore(node: NodeId, index: number): void;
  onCrash(node: NodeId, point: CrashPoint): void;
  /**
   * Runs `persist` later, as a disk write that takes time: the node keeps
   * stepping messages meanwhile (a follower's ack can arrive before the
   * leader's own write completes) and may crash before it runs. Used for
   * Readys whose messagesBeforePersist were sent; absent, persistence is
   * immediate.
   */
  deferPersist?(node: NodeId, persist: () => void): void;
  /** Entries a leader applied before its own write completed (earlyCommit). */
  onEarlyApply?(node: NodeId, entries: number): void;
  /** Appends a leader sent while its own write was pending (earlySend). */
  onEarlySend?(node: NodeId, messages: number): void;
}

export type PutReply = (r: { ok: true } | { ok: false; reason: string; leader: NodeId | null }) => void;
export type GetReply = (r: { ok: true; value: string | null } | { ok: false; reason: string; leader: NodeId | null }) => void;

export interface RaftTuning {
  electionTick: number;
  heartbeatTick: number;
  maxInflight: number;
  maxMsgBytes: number;
  preVote: boolean;
  checkQuorum: boolean;
  leaseRead: boolean;
  /**
   * While a leader's own write is pending, apply what its followers' acks
   * alone commit (RawNode.takeCommitted), as the driver's earlyCommit does.
   */
  earlyCommit: boolean;
  /**
   * While a leader's own write is pending, send the appends of what is
   * proposed meanwhile (RawNode.takeMessagesBeforePersist), as the driver's
   * stepWhilePersisting does.
   */
  earlySend: boolean;
  /** Take a state-machine snapshot and compact every this many applied entries. */
  snapshotEvery: number;
  /** Entries kept below the snapshot for slow followers. */
  compactKeep: number;
}

export class SimNode {
  raw: RawNodeImpl | null = null;
  sm = new KvStateMachine();
  applied = 0;
  /** Set by the fault injector: the next Ready handling crashes at a random point. */
  crashArmed = false;
  stalledUntil = 0;
  incarnation = 0;
  /** A Ready's early messages are out and its persistence is pending: no new Ready until it completes. */
  persisting = false;
  private proposals = new Map<number, { term: number; reply: PutReply }>();
  private reads = new Map<string, { key: string; reply: GetReply }>();
  private readyReads: { index: number; key: string; reply: GetReply }[] = [];

  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
    private readonly tuning: RaftTuning,
    private readonly rng: Prng,
    private readonly hooks: NodeHooks,
  ) {}

  get up(): boolean {
    return this.raw !== null;
  }

  start(): void {
    const snap = this.storage.snapshot();
    this.sm = new KvStateMachine();
    this.sm.restore(snap.data);
    this.applied = snap.meta.index;
    const rnd = this.rng.fork();
    this.raw = new RawNodeImpl({
      id: this.id,
      storage: this.storage,
      electionTick: this.tuning.electionTick,
      heartbeatTick: this.tuning.heartbeatTick,
      random: (n) => rnd.int(n),
      preVote: this.tuning.preVote,
      checkQuorum: this.tuning.checkQuorum,
      maxInflight: this.tuning.maxInflight,
      maxMsgBytes: this.tuning.maxMsgBytes,
      leaseRead: this.tuning.leaseRead,
      applied: this.applied,
    });
    this.incarnation++;
    this.persisting = false;
    this.process();
  }

  crash(point: CrashPoint): void {
    this.raw = null;
    this.persisting = false;
    this.crashArmed = false;
    this.proposals.clear();
    this.reads.clear();
    this.readyReads = [];
    this.hooks.onCrash(this.id, point);
  }

  /** Runs the Ready loop until the core has nothing more to hand out. */
  process(): void {
    if (this.raw !== null && this.persisting && this.tuning.earlySend) {
      const early = this.raw.takeMessagesBeforePersist();
      for (const m of early) this.hooks.send(this.id, m);
      if (early.length) this.hooks.onEarlySend?.(this.id, early.length);
    }
    if (this.raw !== null && this.persisting && this.tuning.earlyCommit) this.applyEarly(this.raw);
    while (this.raw !== null && !this.persisting && this.raw.hasReady()) this.handleReady(this.raw, this.raw.ready());
  }

  /** Between ready() and advance(): entries committed by the acks stepped meanwhile (the leader's own copy not yet durable). */
  private applyEarly(raw: RawNodeImpl): void {
    const ents = raw.takeCommitted();
    if (ents.length === 0) return;
    for (const e of ents) this.applyEntry(raw, e);
    this.hooks.onEarlyApply?.(this.id, ents.length);
    this.serveReads();
  }

  private handleReady(raw: RawNodeImpl, rd: Ready): void {
    const crashAt = this.crashArmed ? this.rng.int(CRASH_POINTS.length) : -1;
    if (crashAt === 0) return this.crash(CRASH_POINTS[0]);
    if (rd.messagesBeforePersist.length === 0) return this.persistAndFinish(raw, rd, crashAt);
    // 0. the leader's appends leave before its own write, which then takes a while.
    for (const m of rd.messagesBeforePersist) this.hooks.send(this.id, m);
    if (crashAt === 1) return this.crash(CRASH_POINTS[1]);
    if (!this.hooks.deferPersist) return this.persistAndFinish(raw, rd, crashAt);
    this.persisting = true;
    this.hooks.deferPersist(this.id, () => {
      if (this.raw !== raw || !this.persisting) return; // crashed meanwhile: the write never happened
      this.persisting = false;
      this.persistAndFinish(raw, rd, crashAt);
      this.process();
    });
  }

  private persistAndFinish(raw: RawNodeImpl, rd: Ready, crashAt: number): void {
    // 1. persist: snapshot, entries, then hard state.
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (crashAt === 2) return this.crash(CRASH_POINTS[2]);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    if (crashAt === 3) return this.crash(CRASH_POINTS[3]);
    // 2. send what promises durability
    for (const m of rd.messagesAfterPersist) this.hooks.send(this.id, m);
    if (crashAt === 4) return this.crash(CRASH_POINTS[4]);
    // 3. apply
    if (rd.snapshot) {
      this.sm.restore(rd.snapshot.data);
      this.applied = rd.snapshot.meta.index;
      this.hooks.onSnapshotRestore(this.id, this.applied);
      for (const [index, p] of this.proposals) {
        if (index <= this.applied) {
          // The entry's fate is unknown here; the client retries (sessions dedupe it).
          p.reply({ ok: false, reason: "superseded by snapshot", leader: raw.raft.leader });
          this.proposals.delete(index);
        }
      }
    }
    // Some may have been applied early, while this Ready was being persisted.
    for (const e of rd.committedEntries) if (e.index > this.applied) this.applyEntry(raw, e);
    for (const rs of rd.readStates) {
      const k = contextKey(rs.context);
      const req = this.reads.get(k);
      if (req) {
        this.reads.delete(k);
        this.readyReads.push({ index: rs.index, key: req.key, reply: req.reply });
      }
    }
    this.serveReads();
    if (crashAt === 5) return this.crash(CRASH_POINTS[5]);
    raw.advance(rd);
    this.maybeSnapshot(raw);
  }

  private applyEntry(raw: RawNodeImpl, e: Entry): void {
    if (e.index !== this.applied + 1) throw new Error(`${this.id}: applying entry ${e.index} after ${this.applied} (gap)`);
    this.hooks.onApply(this.id, e);
    this.applied = e.index;
    if (e.kind === "normal") this.sm.apply(e.data, { index: e.index, term: e.term });
    else if (e.kind === "conf") raw.applyConfChange(decodeConfChange(e.data));
    const p = this.proposals.get(e.index);
    if (p) {
      this.proposals.delete(e.index);
      // A different term at our index means a new leader overwrote the proposal: it failed.
      if (p.term === e.term) p.reply({ ok: true });
      else p.reply({ ok: false, reason: `overwritten: index ${e.index} has term ${e.term}, proposed in ${p.term}`, leader: raw.raft.leader });
    }
  }

  private serveReads(): void {
    const still: typeof this.readyReads = [];
    for (const r of this.readyReads) {
      if (this.applied >= r.index) r.reply({ ok: true, value: this.sm.get(r.key) });
      else still.push(r);
    }
    this.readyReads = still;
  }

  private maybeSnapshot(raw: RawNodeImpl): void {
    const snapIndex = this.storage.firstIndex() - 1;
    if (this.applied - snapIndex < this.tuning.snapshotEvery) return;
    if (this.applied > this.storage.lastIndex()) return;
    this.storage.createSnapshot(this.applied, raw.raft.conf(), this.sm.snapshot());
    const upTo = this.applied - this.tuning.compactKeep;
    if (upTo > this.storage.firstIndex() - 1) this.storage.compact(upTo);
  }

  // ---- client entry points ----

  put(encoded: Uint8Array, reply: PutReply): void {
    const raw = this.raw;
    if (!raw) return;
    try {
      const { term, index } = raw.propose(encoded);
      this.proposals.set(index, { term, reply });
    } catch (e) {
      const err = e as { code?: string; reason?: string; leader?: NodeId | null };
      if (err.code !== "RAFT_PROPOSAL_DROPPED") throw e;
      reply({ ok: false, reason: err.reason ?? "dropped", leader: err.leader ?? null });
    }
    this.process();
  }

  get(key: string, context: Uint8Array, reply: GetReply): void {
    const raw = this.raw;
    if (!raw) return;
    try {
      raw.readIndex(context);
      this.reads.set(contextKey(context), { key, reply });
    } catch (e) {
      const err = e as { code?: string; reason?: string; leader?: NodeId | null };
      if (err.code !== "RAFT_PROPOSAL_DROPPED") throw e;
      reply({ ok: false, reason: err.reason ?? "dropped", leader: err.leader ?? null });
    }
    this.process();
  }
}
