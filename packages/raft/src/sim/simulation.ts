// A deterministic discrete-event simulation of a Raft group under faults:
// lossy, duplicating, reordering links; asymmetric partitions; crashes at
// every persistence point; event-loop stalls longer than the election
// timeout; leader transfers and member replacement. Simulated clients issue
// puts (with session dedupe) and ReadIndex gets; the resulting history is
// checked for linearizability, and Raft's safety properties are checked as
// the run goes (Raft Figure 3). Everything derives from one seed.
import { encodeConfChange } from "../codec.js";
import { checkLinearizable, kvModel, type KvInput, type KvOutput, type Operation } from "../linearizability/index.js";
import { MemoryStorage } from "../memory-storage.js";
import type { Entry, Message, NodeId } from "../types.js";
import { EventQueue } from "./event-queue.js";
import { KvStateMachine, encodeKvCommand } from "./kv-machine.js";
import { Prng } from "./prng.js";
import { SimNode, type CrashPoint, type RaftTuning } from "./sim-node.js";

export interface SimOptions {
  readonly seed: number;
  readonly members: number;
  /** Simulated milliseconds of faults, followed by `quietMs` of healed network. */
  readonly chaosMs: number;
  readonly quietMs: number;
  readonly clients: number;
  readonly keys: number;
  /** Milliseconds between ticks (ticks of different nodes are out of phase). */
  readonly tickMs: number;
  readonly tuning: RaftTuning;
  /** Allow the fault injector to replace one voter with a new member. */
  readonly replaceMember: boolean;
  /**
   * Draw preVote and checkQuorum per schedule (each off in a quarter of the
   * runs) instead of taking them from `tuning`: without check-quorum an
   * isolated leader keeps believing it leads, which is what tests ReadIndex.
   */
  readonly randomizeProtocol: boolean;
}

export const defaultSimOptions = (seed: number, members: number): SimOptions => ({
  seed,
  members,
  chaosMs: 2500,
  quietMs: 1500,
  clients: 3,
  keys: 2,
  tickMs: 10,
  replaceMember: true,
  randomizeProtocol: true,
  tuning: {
    electionTick: 10,
    heartbeatTick: 2,
    maxInflight: 4,
    maxMsgBytes: 512,
    preVote: true,
    checkQuorum: true,
    leaseRead: false,
    earlyCommit: true,
    earlySend: true,
    snapshotEvery: 12,
    compactKeep: 3,
  },
});

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violations: readonly string[];
  /** The fault schedule as it happened (time-stamped), for the failure report. */
  readonly faults: readonly string[];
  readonly history: readonly Operation<KvInput, KvOutput>[];
  readonly stats: {
    readonly completedPuts: number;
    readonly completedGets: number;
    readonly pendingPuts: number;
    readonly maxCommitted: number;
    readonly leaders: number;
    readonly crashes: number;
    /** Entries leaders applied while their own write was pending (earlyCommit). */
    readonly earlyApplied: number;
    /** Appends leaders sent while their own write was pending (earlySend). */
    readonly earlySent: number;
    readonly snapshotsInstalled: number;
    readonly messages: number;
    /** After the quiet period: one leader, every member applied up to the leader. */
    readonly converged: boolean;
  };
}

type Event =
  | { kind: "tick"; node: NodeId; incarnation: number }
  | { kind: "deliver"; msg: Message; senderIncarnation: number }
  | { kind: "restart"; node: NodeId }
  | { kind: "heal"; cut: string[] }
  | { kind: "chaos" }
  | { kind: "client"; client: number; seq: number; attempt: number }
  | { kind: "clientTimeout"; client: number; seq: number; attempt: number }
  | { kind: "clientReply"; client: number; seq: number; attempt: number; ok: boolean; value: string | null; leader: NodeId | null }
  | { kind: "toNode"; node: NodeId; run: () => void };

interface ClientOp {
  seq: number;
  input: KvInput;
  call: number;
  attempt: number;
  target: NodeId | null;
}

export function runSimulation(opts: SimOptions): SimResult {
  const rng = new Prng(opts.seed);
  const q = new EventQueue<Event>();
  const faults: string[] = [];
  const violations: string[] = [];
  const history: Operation<KvInput, KvOutput>[] = [];
  let now = 0;
  const end = opts.chaosMs + opts.quietMs;
  const log = (s: string) => faults.push(`t=${now}ms ${s}`);
  const violate = (s: string) => {
    if (violations.length < 20) violations.push(`t=${now}ms ${s}`);
  };

  // Per-run network character, so the schedules cover calm and hostile links.
  let dropRate = rng.pick([0, 0.01, 0.05, 0.15]);
  let dupRate = rng.pick([0, 0.02, 0.08]);
  let maxDelay = rng.pick([2, 10, 40]);
  let longDelayRate = 0.05;
  const faultEvery = rng.pick([60, 150, 400]);
  log(`network drop=${dropRate} dup=${dupRate} delay=1..${maxDelay}ms faultEvery~${faultEvery}ms`);

  const ids: NodeId[] = Array.from({ length: opts.members }, (_, i) => `n${i + 1}`);
  const nodes = new Map<NodeId, SimNode>();
  const cut = new Set<string>(); // "a>b": a's messages to b are dropped
  let messages = 0;
  let crashes = 0;
  let earlyApplied = 0;
  let earlySent = 0;
  let snapshotsInstalled = 0;

  // ---- invariants ----
  const leaderOfTerm = new Map<number, NodeId>();
  const committed = new Map<number, { term: number; kind: string; data: string }>();
  let maxCommitted = 0;
  const dataKey = (e: Entry) => Buffer.from(e.data).toString("base64");

  const hooks = {
    send(from: NodeId, m: Message) {
      messages++;
      const sender = nodes.get(from)!;
      const copies = rng.chance(dupRate) ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        // A few messages take the long way round, which reorders them.
        const delay = rng.chance(longDelayRate) ? rng.range(maxDelay, maxDelay * 4) : rng.range(1, maxDelay);
        q.push(now + delay, { kind: "deliver", msg: m, senderIncarnation: sender.incarnation });
      }
    },
    onApply(node: NodeId, e: Entry) {
      const prev = committed.get(e.index);
      const rec = { term: e.term, kind: e.kind, data: dataKey(e) };
      if (!prev) {
        committed.set(e.index, rec);
        if (e.index > maxCommitted) maxCommitted = e.index;
      } else if (prev.term !== rec.term || prev.kind !== rec.kind || prev.data !== rec.data) {
        violate(`state machine safety (Raft §5.4.3): ${node} applied (${e.index}, term ${e.term}, ${e.kind}) but another node applied (${e.index}, term ${prev.term}, ${prev.kind})`);
      }
    },
    onSnapshotRestore(node: NodeId, index: number) {
      snapshotsInstalled++;
      void node;
      void index;
    },
    deferPersist(node: NodeId, persist: () => void) {
      // A write plus fsync: as long as a message hop or longer, so acks often beat the leader's own write.
      q.push(now + rng.range(1, maxDelay * 2), { kind: "toNode", node, run: persist });
    },
    onEarlyApply(_node: NodeId, entries: number) {
      earlyApplied += entries;
    },
    onEarlySend(_node: NodeId, messages: number) {
      earlySent += messages;
    },
    onCrash(node: NodeId, point: CrashPoint) {
      crashes++;
      log(`crash ${node} at ${point}`);
      q.push(now + rng.range(20, 400), { kind: "restart", node });
    },
  };

  const tuning: RaftTuning = opts.randomizeProtocol
    ? { ...opts.tuning, preVote: rng.chance(0.75), checkQuorum: rng.chance(0.75), earlyCommit: rng.chance(0.75), earlySend: rng.chance(0.75) }
    : opts.tuning;
  log(`protocol preVote=${tuning.preVote} checkQuorum=${tuning.checkQuorum} leaseRead=${tuning.leaseRead} earlyCommit=${tuning.earlyCommit} earlySend=${tuning.earlySend}`);
  const emptySm = new KvStateMachine().snapshot();
  const addNode = (id: NodeId, storage: MemoryStorage) => {
    const n = new SimNode(id, storage, tuning, rng.fork(), hooks);
    nodes.set(id, n);
    n.start();
    q.push(now + rng.int(opts.tickMs) + 1, { kind: "tick", node: id, incarnation: n.incarnation });
    return n;
  };
  for (const id of ids) addNode(id, MemoryStorage.bootstrap({ voters: ids, learners: [] }, emptySm));

  // Commits as leaders make them: index -> (entry term, term of the leader that committed it).
  const commitLog: { term: number; commitTerm: number }[] = [];
  let committedUpTo = 0;
  const checkLeaders = () => {
    for (const n of nodes.values()) {
      const r = n.raw?.raft;
      if (!r || r.role !== "leader") continue;
      const seen = leaderOfTerm.get(r.term);
      if (seen === undefined) {
        leaderOfTerm.set(r.term, r.id);
        // Leader completeness (§5.4.1): an entry committed in an earlier term is in every later leader's log.
        for (let i = Math.max(r.log.firstIndex(), 1); i <= committedUpTo; i++) {
          const c = commitLog[i]!;
          if (c.commitTerm >= r.term || c.term < 0) continue;
          const have = r.log.termOr0(i);
          if (have !== c.term) violate(`leader completeness: ${r.id} leads term ${r.term} with term ${have} at index ${i}, committed in term ${c.commitTerm} with term ${c.term}`);
        }
      } else if (seen !== r.id) {
        violate(`election safety (§5.2): term ${r.term} has two leaders, ${seen} and ${r.id}`);
      }
      for (let i = Math.max(committedUpTo + 1, r.log.firstIndex()); i <= r.log.committed; i++) commitLog[i] = { term: r.log.term(i), commitTerm: r.term };
      if (r.log.committed > committedUpTo) {
        for (let i = committedUpTo + 1; i < r.log.firstIndex(); i++) commitLog[i] = { term: -1, commitTerm: r.term };
        committedUpTo = r.log.committed;
      }
    }
  };

  const leaderNow = (): SimNode | null => {
    let best: SimNode | null = null;
    for (const n of nodes.values()) {
      const r = n.raw?.raft;
      if (r && r.role === "leader" && (!best || r.term > best.raw!.raft.term)) best = n;
    }
    return best;
  };

  // ---- clients ----
  const clientOps: (ClientOp | null)[] = Array.from({ length: opts.clients }, () => null);
  const seqs = new Array<number>(opts.clients).fill(0);
  // Clients stick to the node that last served them, as real clients cache the leader; that is what exposes stale leaders.
  const lastServer: (NodeId | null)[] = Array.from({ length: opts.clients }, () => null);
  const keys = Array.from({ length: opts.keys }, (_, i) => `k${i}`);
  const clientTimeoutMs = tuning.electionTick * opts.tickMs * 2;

  const startOp = (c: number) => {
    if (now >= opts.chaosMs + opts.quietMs / 2) return; // let the tail drain
    const seq = ++seqs[c]!;
    const key = rng.pick(keys);
    const input: KvInput = rng.chance(0.5) ? { op: "put", key, value: `c${c}.${seq}` } : { op: "get", key };
    clientOps[c] = { seq, input, call: now, attempt: 0, target: rng.chance(0.7) ? (lastServer[c] ?? null) : null };
    q.push(now, { kind: "client", client: c, seq, attempt: 0 });
  };

  const sendAttempt = (c: number) => {
    const op = clientOps[c];
    if (!op) return;
    const up = [...nodes.values()].filter((n) => n.up).map((n) => n.id);
    const target = op.target !== null && nodes.has(op.target) ? op.target : up.length > 0 ? rng.pick(up) : rng.pick([...nodes.keys()]);
    op.target = null;
    const attempt = op.attempt;
    const reply = (r: { ok: boolean; value?: string | null; leader?: NodeId | null }) => {
      if (r.ok) lastServer[c] = target;
      q.push(now + rng.range(1, 5), { kind: "clientReply", client: c, seq: op.seq, attempt, ok: r.ok, value: r.value ?? null, leader: r.leader ?? null });
    };
    q.push(now + clientTimeoutMs, { kind: "clientTimeout", client: c, seq: op.seq, attempt });
    const input = op.input;
    q.push(now + rng.range(1, 5), {
      kind: "toNode",
      node: target,
      run: () => {
        const n = nodes.get(target)!;
        if (input.op === "put") n.put(encodeKvCommand({ client: `c${c}`, seq: op.seq, key: input.key, value: input.value }), reply);
        else n.get(input.key, new TextEncoder().encode(`c${c}/${op.seq}/${attempt}`), reply);
      },
    });
  };

  const retry = (c: number, hint: NodeId | null, backoff: number) => {
    const op = clientOps[c]!;
    op.attempt++;
    op.target = hint;
    q.push(now + backoff, { kind: "client", client: c, seq: op.seq, attempt: op.attempt });
  };

  for (let c = 0; c < opts.clients; c++) q.push(rng.range(50, 200), { kind: "client", client: c, seq: 0, attempt: -1 });

  // ---- faults ----
  let replaced = false;
  let nextId = opts.members + 1;
  const chaos = () => {
    const live = [...nodes.values()];
    const pick = rng.int(100);
    if (pick < 25) {
      // Partition: isolate one node, split the group, or cut one direction only.
      const a = (rng.chance(0.5) ? leaderNow() : null)?.id ?? rng.pick(live).id;
      const edges: string[] = [];
      const kind = rng.int(3);
      if (kind === 0) for (const b of nodes.keys()) { if (b !== a) edges.push(`${a}>${b}`, `${b}>${a}`); }
      else if (kind === 1) {
        const side = new Set(live.filter(() => rng.chance(0.5)).map((n) => n.id));
        for (const x of nodes.keys()) for (const y of nodes.keys()) if (side.has(x) !== side.has(y)) edges.push(`${x}>${y}`);
      } else {
        const b = rng.pick(live.filter((n) => n.id !== a)).id;
        edges.push(`${a}>${b}`);
      }
      for (const e of edges) cut.add(e);
      const dur = rng.range(50, 800);
      log(`partition cut [${edges.join(" ")}] for ${dur}ms`);
      q.push(now + dur, { kind: "heal", cut: edges });
    } else if (pick < 45) {
      const candidates = live.filter((x) => x.up && !x.crashArmed);
      if (candidates.length > 0) {
        const n = rng.pick(candidates);
        n.crashArmed = true;
        log(`arm crash ${n.id}`);
      }
    } else if (pick < 58) {
      const n = rng.pick(live);
      const dur = rng.range(Math.ceil(tuning.electionTick * opts.tickMs * 1.2), tuning.electionTick * opts.tickMs * 4);
      n.stalledUntil = Math.max(n.stalledUntil, now + dur);
      log(`stall ${n.id} for ${dur}ms`);
    } else if (pick < 70) {
      const l = leaderNow();
      if (l) {
        const voters = l.raw!.raft.voters.filter((v) => v !== l.id);
        if (voters.length > 0) {
          const to = rng.pick(voters);
          log(`transfer leadership ${l.id} -> ${to}`);
          try {
            l.raw!.transferLeader(to);
          } catch (e) {
            log(`transfer refused: ${(e as Error).message}`);
          }
          l.process();
        }
      }
    } else if (pick < 76 && opts.replaceMember && !replaced) {
      const l = leaderNow();
      if (l) {
        const voters = l.raw!.raft.voters.filter((v) => v !== l.id);
        const remove = rng.pick(voters);
        const add = `n${nextId}`;
        try {
          l.raw!.proposeConfChange({ type: "replaceVoter", remove, add });
          replaced = true;
          nextId++;
          log(`replaceVoter ${remove} -> ${add} proposed at ${l.id}`);
          addNode(add, new MemoryStorage());
        } catch (e) {
          log(`replaceVoter refused: ${(e as Error).message}`);
        }
        l.process();
      }
    }
    if (now + faultEvery < opts.chaosMs) q.push(now + rng.range(1, faultEvery * 2), { kind: "chaos" });
  };
  q.push(rng.range(100, 300), { kind: "chaos" });

  // ---- main loop ----
  const deferIfStalled = (n: SimNode, ev: Event): boolean => {
    if (now < n.stalledUntil) {
      // Work queued during a stall runs in arbitrary order once the loop wakes.
      q.push(n.stalledUntil + rng.int(maxDelay + 1), ev);
      return true;
    }
    return false;
  };
  let healed = false;
  let crashed: unknown = null;
  const step = (): void => {
    const { time, value: ev } = q.pop()!;
    now = time;
    if (!healed && now >= opts.chaosMs) {
      healed = true;
      cut.clear();
      for (const n of nodes.values()) {
        n.stalledUntil = 0;
        n.crashArmed = false;
      }
      // Liveness needs broadcast time well below the election timeout (Raft
      // §5.6), so the quiet period also ends loss, duplication and long delays.
      dropRate = 0;
      dupRate = 0;
      maxDelay = Math.min(maxDelay, 10);
      longDelayRate = 0;
      log("heal everything (partitions, stalls, loss, long delays); quiet period");
    }
    switch (ev.kind) {
      case "tick": {
        const n = nodes.get(ev.node)!;
        if (n.incarnation !== ev.incarnation || !n.raw) break;
        // A stalled event loop loses its timer ticks rather than queueing them.
        if (now >= n.stalledUntil) {
          if (n.crashArmed && (n.persisting || !n.raw.hasReady()) && rng.chance(0.2)) {
            // While a write is pending this is the crash between the leader's early send and its persist.
            n.crash(n.persisting ? "after-early-send-before-persist" : "before-persist");
            break;
          }
          n.raw.tick();
          n.process();
        }
        q.push(now + opts.tickMs, ev);
        break;
      }
      case "deliver": {
        const m = ev.msg;
        const n = nodes.get(m.to);
        const sender = nodes.get(m.from);
        if (!n) break;
        if (cut.has(`${m.from}>${m.to}`) || rng.chance(dropRate) || !n.raw) {
          if (m.type === "snapshot" && sender?.raw && sender.incarnation === ev.senderIncarnation) {
            sender.raw.reportSnapshot(m.to, false);
            sender.process();
          }
          break;
        }
        if (deferIfStalled(n, ev)) break;
        if (process.env.SIM_TRACE && m.type !== "heartbeat" && m.type !== "heartbeatResp") {
          log(`${m.type} ${m.from}->${m.to} t${m.term} i${m.index} lt${m.logTerm}${m.reject ? " REJECT" : ""}${m.entries.length ? ` [${m.entries.map((e) => `${e.index}:${e.term}`).join(",")}]` : ""} | ${m.to} was ${n.raw.raft.role}/t${n.raw.raft.term}`);
        }
        n.raw.step(m);
        n.process();
        if (m.type === "snapshot" && sender?.raw && sender.incarnation === ev.senderIncarnation) {
          sender.raw.reportSnapshot(m.to, true);
          sender.process();
        }
        break;
      }
      case "toNode": {
        const n = nodes.get(ev.node)!;
        if (!n.raw) break;
        if (deferIfStalled(n, ev)) break;
        ev.run();
        break;
      }
      case "restart": {
        const n = nodes.get(ev.node)!;
        if (n.raw) break;
        log(`restart ${n.id}`);
        n.start();
        q.push(now + rng.int(opts.tickMs) + 1, { kind: "tick", node: n.id, incarnation: n.incarnation });
        break;
      }
      case "heal":
        for (const e of ev.cut) cut.delete(e);
        break;
      case "chaos":
        if (now < opts.chaosMs) chaos();
        break;
      case "client": {
        if (ev.attempt === -1) {
          startOp(ev.client);
          break;
        }
        const op = clientOps[ev.client];
        if (op && op.seq === ev.seq && op.attempt === ev.attempt) sendAttempt(ev.client);
        break;
      }
      case "clientTimeout": {
        const op = clientOps[ev.client];
        if (op && op.seq === ev.seq && op.attempt === ev.attempt) {
          lastServer[ev.client] = null;
          retry(ev.client, null, 1);
        }
        break;
      }
      case "clientReply": {
        const op = clientOps[ev.client];
        if (!op || op.seq !== ev.seq || op.attempt !== ev.attempt) break;
        if (!ev.ok) {
          retry(ev.client, ev.leader, rng.range(5, 30));
          break;
        }
        history.push({ client: `c${ev.client}`, input: op.input, output: op.input.op === "get" ? ev.value : null, call: op.call, ret: now });
        clientOps[ev.client] = null;
        q.push(now + rng.range(0, 20), { kind: "client", client: ev.client, seq: 0, attempt: -1 });
        break;
      }
    }
    checkLeaders();
  };
  while (q.size > 0 && q.peekTime() <= end) {
    try {
      step();
    } catch (e) {
      // An exception from the core is a failure of this schedule, reported with its seed like any other.
      crashed = e;
      violate(`exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      break;
    }
  }
  if (crashed !== null) {
    const stats = { completedPuts: 0, completedGets: 0, pendingPuts: 0, maxCommitted, leaders: leaderOfTerm.size, crashes, earlyApplied, earlySent, snapshotsInstalled, messages, converged: false };
    return { seed: opts.seed, ok: false, violations, faults, history, stats };
  }

  // Unfinished puts may or may not have taken effect; unfinished gets observed nothing.
  let pendingPuts = 0;
  for (let c = 0; c < opts.clients; c++) {
    const op = clientOps[c];
    if (op && op.input.op === "put") {
      pendingPuts++;
      history.push({ client: `c${c}`, input: op.input, output: null, call: op.call, ret: Infinity });
    }
  }

  // Identical state after the same commands (§5.4.3): nodes at the same applied index hash the same.
  const byApplied = new Map<number, { id: NodeId; hash: string }>();
  for (const n of nodes.values()) {
    if (!n.raw) continue;
    const h = n.sm.hash();
    const prev = byApplied.get(n.applied);
    if (prev && prev.hash !== h) violate(`state machine divergence: ${prev.id} and ${n.id} both applied ${n.applied} but hash ${prev.hash.slice(0, 12)} vs ${h.slice(0, 12)}`);
    if (!prev) byApplied.set(n.applied, { id: n.id, hash: h });
  }

  // Log Matching (§5.3): two logs with an entry of the same index and term
  // are identical up to it.
  const up = [...nodes.values()].filter((n) => n.raw);
  for (let x = 0; x < up.length; x++) {
    for (let y = x + 1; y < up.length; y++) {
      const a = up[x]!.raw!.raft.log;
      const b = up[y]!.raw!.raft.log;
      const lo = Math.max(a.firstIndex(), b.firstIndex());
      let top = Math.min(a.lastIndex(), b.lastIndex());
      while (top >= lo && a.term(top) !== b.term(top)) top--;
      if (top < lo) continue;
      const ea = a.slice(lo, top + 1);
      const eb = b.slice(lo, top + 1);
      for (let i = 0; i < ea.length; i++) {
        const p = ea[i]!;
        const q = eb[i]!;
        if (p.term !== q.term || p.kind !== q.kind || dataKey(p) !== dataKey(q)) {
          violate(`log matching: ${up[x]!.id} and ${up[y]!.id} agree at index ${top} but differ at ${p.index} (terms ${p.term} vs ${q.term})`);
          break;
        }
      }
    }
  }

  // Liveness after healing: a quiet period must end with one leader and every member caught up.
  const finalLeader = leaderNow();
  let converged = finalLeader !== null;
  if (finalLeader) {
    const conf = finalLeader.raw!.raft.conf();
    for (const id of [...conf.voters, ...conf.learners]) {
      const n = nodes.get(id);
      if (!n?.raw || n.applied !== finalLeader.applied) converged = false;
    }
  }
  // With neither pre-vote nor check-quorum, a removed member that never
  // learned of its removal disrupts every election forever (dissertation
  // §4.2.3); that configuration only promises safety.
  const livenessExpected = tuning.preVote || tuning.checkQuorum || !replaced;
  if (!converged && livenessExpected) {
    const state = [...nodes.values()].map((n) => `${n.id}:${n.raw ? `${n.raw.raft.role}/t${n.raw.raft.term}/applied ${n.applied}/commit ${n.raw.raft.log.committed}/last ${n.raw.raft.log.lastIndex()}/voters ${n.raw.raft.voters.join(",")}${n.raw.raft.learners.length ? `+${n.raw.raft.learners.join(",")}` : ""}` : "down"}`).join(" ");
    violate(`liveness: ${opts.quietMs}ms after healing the group has not converged (${state})`);
  }

  const lin = checkLinearizable(kvModel, history);
  if (!lin.ok) violate(`linearizability: ${lin.description}\n    ${lin.operations.join("\n    ")}`);

  const completed = history.filter((h) => h.ret !== Infinity);
  return {
    seed: opts.seed,
    ok: violations.length === 0,
    violations,
    faults,
    history,
    stats: {
      completedPuts: completed.filter((h) => h.input.op === "put").length,
      completedGets: completed.filter((h) => h.input.op === "get").length,
      pendingPuts,
      maxCommitted,
      leaders: leaderOfTerm.size,
      crashes,
      earlyApplied,
      earlySent,
      snapshotsInstalled,
      messages,
      converged,
    },
  };
}

/** The failure report: seed, how to replay it, violations and the fault schedule. */
export function describeFailure(r: SimResult, members: number): string {
  return [
    `simulation seed ${r.seed} (${members} members) FAILED; replay with SIM_SEED=${r.seed} SIM_MEMBERS=${members}`,
    "violations:",
    ...r.violations.map((v) => `  ${v}`),
    "fault schedule:",
    ...r.faults.map((f) => `  ${f}`),
  ].join("\n");
}

