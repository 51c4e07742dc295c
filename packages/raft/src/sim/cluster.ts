// A hand-driven cluster for scenario tests (etcd raft_test.go's `network`):
// messages wait in a mailbox until the test delivers them, optionally
// through a filter that drops or rewrites them; ticks happen only when asked.
// Same Ready handling as the simulation: persist, send, apply, advance.
import { decodeConfChange } from "../codec.js";
import { RawNodeImpl } from "../core/raw-node.js";
import { MemoryStorage } from "../memory-storage.js";
import type { ConfState, Entry, Message, NodeId, RaftConfig, ReadState } from "../types.js";
import { KvStateMachine } from "./kv-machine.js";
import { Prng } from "./prng.js";

export interface ClusterNode {
  readonly id: NodeId;
  raw: RawNodeImpl | null;
  readonly storage: MemoryStorage;
  sm: KvStateMachine;
  applied: number;
  /** Every entry this node applied, in order (reset by a crash). */
  appliedEntries: Entry[];
  readStates: ReadState[];
}

export type ClusterConfig = Partial<Omit<RaftConfig, "id" | "storage" | "applied" | "random">> & {
  seed?: number;
  snapshotEvery?: number;
  compactKeep?: number;
};

/** Decides a message's fate during delivery: false drops it, a Message replaces it. */
export type MessageFilter = (m: Message) => boolean | Message;

export class Cluster {
  readonly nodes = new Map<NodeId, ClusterNode>();
  mailbox: Message[] = [];
  /** Directed links that drop everything: "a>b". */
  readonly cut = new Set<string>();
  private readonly rng: Prng;
  readonly delivered: Message[] = [];

  constructor(
    voters: readonly NodeId[],
    private readonly cfg: ClusterConfig = {},
    learners: readonly NodeId[] = [],
  ) {
    this.rng = new Prng(cfg.seed ?? 1);
    const conf: ConfState = { voters, learners };
    const empty = new KvStateMachine().snapshot();
    for (const id of [...voters, ...learners]) this.add(id, MemoryStorage.bootstrap(conf, empty));
  }

  /** Adds a member process with the given storage (a brand-new one gets empty storage). */
  add(id: NodeId, storage: MemoryStorage = new MemoryStorage()): ClusterNode {
    const n: ClusterNode = { id, raw: null, storage, sm: new KvStateMachine(), applied: 0, appliedEntries: [], readStates: [] };
    this.nodes.set(id, n);
    this.start(n);
    return n;
  }

  private start(n: ClusterNode): void {
    const snap = n.storage.snapshot();
    n.sm = new KvStateMachine();
    n.sm.restore(snap.data);
    n.applied = snap.meta.index;
    n.appliedEntries = [];
    n.readStates = [];
    const rnd = this.rng.fork();
    n.raw = new RawNodeImpl({
      id: n.id,
      storage: n.storage,
      electionTick: this.cfg.electionTick ?? 10,
      heartbeatTick: this.cfg.heartbeatTick ?? 1,
      random: (k) => rnd.int(k),
      preVote: this.cfg.preVote ?? false,
      checkQuorum: this.cfg.checkQuorum ?? false,
      maxInflight: this.cfg.maxInflight ?? 256,
      maxMsgBytes: this.cfg.maxMsgBytes ?? 1 << 20,
      leaseRead: this.cfg.leaseRead ?? false,
      applied: n.applied,
    });
  }

  node(id: NodeId): ClusterNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  raw(id: NodeId): RawNodeImpl {
    const r = this.node(id).raw;
    if (!r) throw new Error(`${id} is down`);
    return r;
  }

  /** Handles every pending Ready of `id`. */
  process(id: NodeId): void {
    const n = this.node(id);
    while (n.raw && n.raw.hasReady()) {
      const raw = n.raw;
      const rd = raw.ready();
      if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
      n.storage.append(rd.entries);
      if (rd.hardState) n.storage.setHardState(rd.hardState);
      this.mailbox.push(...rd.messages);
      if (rd.snapshot) {
        n.sm.restore(rd.snapshot.data);
        n.applied = rd.snapshot.meta.index;
      }
      for (const e of rd.committedEntries) {
        if (e.kind === "normal") n.sm.apply(e.data, { index: e.index, term: e.term });
        else if (e.kind === "conf") raw.applyConfChange(decodeConfChange(e.data));
        n.applied = e.index;
        n.appliedEntries.push(e);
      }
      n.readStates.push(...rd.readStates);
      raw.advance(rd);
      const every = this.cfg.snapshotEvery;
      if (every !== undefined && n.applied - (n.storage.firstIndex() - 1) >= every) {
        n.storage.createSnapshot(n.applied, raw.raft.conf(), n.sm.snapshot());
        const upTo = n.applied - (this.cfg.compactKeep ?? 0);
        if (upTo > n.storage.firstIndex() - 1) n.storage.compact(upTo);
      }
    }
  }

  processAll(): void {
    for (const id of this.nodes.keys()) this.process(id);
  }

  /**
   * Delivers mailbox messages (and whatever they cause) until the mailbox is
   * empty. Messages over cut links or to crashed nodes are dropped.
   */
  deliver(filter?: MessageFilter, maxRounds = 1000): void {
    this.processAll();
    for (let round = 0; this.mailbox.length > 0; round++) {
      if (round >= maxRounds) throw new Error(`cluster did not quiesce after ${maxRounds} rounds`);
      const batch = this.mailbox;
      this.mailbox = [];
      for (const m0 of batch) {
        const verdict = filter ? filter(m0) : true;
        if (verdict === false) continue;
        const m = verdict === true ? m0 : verdict;
        const to = this.nodes.get(m.to);
        if (!to || !to.raw || this.cut.has(`${m.from}>${m.to}`)) continue;
        this.delivered.push(m);
        to.raw.step(m);
        this.process(m.to);
        if (m.type === "snapshot") {
          const from = this.nodes.get(m.from);
          if (from?.raw) {
            from.raw.reportSnapshot(m.to, true);
            this.process(m.from);
          }
        }
      }
    }
  }

  /** Ticks `id` n times, delivering messages after each tick. */
  tick(id: NodeId, n = 1, filter?: MessageFilter): void {
    for (let i = 0; i < n; i++) {
      this.nodes.get(id)?.raw?.tick();
      this.deliver(filter);
    }
  }

  /** Ticks every live node n times, delivering after each round. */
  tickAll(n = 1, filter?: MessageFilter): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.raw?.tick();
      this.deliver(filter);
    }
  }

  campaign(id: NodeId, filter?: MessageFilter): void {
    this.raw(id).campaign();
    this.deliver(filter);
  }

  propose(id: NodeId, command: Uint8Array, filter?: MessageFilter): { term: number; index: number } {
    const r = this.raw(id).propose(command);
    this.deliver(filter);
    return r;
  }

  /** Cuts every link to and from `id`. */
  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  /** Cuts links between two groups in both directions. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) for (const y of b) {
      this.cut.add(`${x}>${y}`);
      this.cut.add(`${y}>${x}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Loses everything volatile; the storage (the disk) survives. Unsent mail from it is lost. */
  crash(id: NodeId): void {
    this.node(id).raw = null;
    this.mailbox = this.mailbox.filter((m) => m.from !== id);
  }

  restart(id: NodeId): void {
    this.start(this.node(id));
    this.process(id);
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.raw?.raft.role === "leader").map((n) => n.id);
  }

  /** Entries [lo, hi] of a node's log (storage plus unstable). */
  logOf(id: NodeId, lo = this.raw(id).raft.log.firstIndex()): Entry[] {
    const log = this.raw(id).raft.log;
    return log.slice(lo, log.lastIndex() + 1);
  }
}
