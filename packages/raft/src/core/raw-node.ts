// RawNode: the Ready/advance surface over Raft (etcd rawnode.go). ready()
// gathers what changed since the last advance(); the caller persists, sends,
// applies, then calls advance(rd). Call ready() at most once per advance().
import { ProposalDroppedError } from "../errors.js";
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, RaftConfig, RaftStatus, RawNode, Ready, SoftState } from "../types.js";
import { reportSnapshot, reportUnreachable } from "./leader.js";
import { Raft } from "./raft.js";

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

/**
 * Which messages may leave before the Ready is persisted (Ready.messagesBeforePersist):
 * a leader's append and heartbeat, when its term and vote are already durable.
 * They promise nothing about our disk: the leader counts its own entries
 * toward commit only after advance() (Raft.selfPersisted), and a follower
 * that stores them acknowledges them itself. Everything else waits, because
 * it asserts durability: vote and pre-vote answers promise the vote and the
 * log they compared against, appendResp promises the entries, and a
 * readIndexResp or timeoutNow is only as good as the state it came from. The
 * term must be durable too: a lone voter (or one with learners only) wins its
 * election inside one Ready, and appends of a term it could forget in a crash
 * would let it reuse that term for different entries after a restart.
 */
function splitByDurability(msgs: readonly Message[], leaderTermDurable: boolean): { before: Message[]; after: Message[] } {
  if (!leaderTermDurable) return { before: [], after: msgs.slice() };
  const before: Message[] = [];
  const after: Message[] = [];
  for (const m of msgs) (m.type === "append" || m.type === "heartbeat" ? before : after).push(m);
  return { before, after };
}

export class RawNodeImpl implements RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoft = this.raft.softState();
    this.prevHard = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  step(msg: Message): void {
    if (msg.to !== this.raft.id) return; // misrouted: not for us
    this.raft.step(msg);
  }

  propose(data: Uint8Array): { term: number; index: number } {
    return this.raft.propose("normal", data);
  }

  proposeConfChange(cc: ConfChange): { term: number; index: number } {
    return this.raft.proposeConfChange(cc);
  }

  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  readIndex(context: Uint8Array): void {
    this.raft.readIndex(context);
  }

  transferLeader(to: NodeId): void {
    this.raft.transferLeader(to);
  }

  campaign(): void {
    if (!this.raft.promotable()) throw new ProposalDroppedError("notLeader", this.raft.leader, `${this.raft.id} is not a voter and cannot campaign`);
    this.raft.hup(false);
  }

  reportUnreachable(id: NodeId): void {
    reportUnreachable(this.raft, id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    reportSnapshot(this.raft, id, ok);
  }

  hasReady(): boolean {
    const r = this.raft;
    return (
      !sameSoft(r.softState(), this.prevSoft) ||
      !sameHard(r.hardState(), this.prevHard) ||
      r.log.unstableSnapshot !== null ||
      r.log.unstable.length > 0 ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.log.hasNextCommitted()
    );
  }

  ready(): Ready {
    const r = this.raft;
    const soft = r.softState();
    const hard = r.hardState();
    const hardState = sameHard(hard, this.prevHard) ? null : hard;
    const entries = r.log.unstable.slice();
    const { before, after } = splitByDurability(r.msgs, this.leaderTermDurable());
    const rd: Ready = {
      softState: sameSoft(soft, this.prevSoft) ? null : soft,
      hardState,
      entries,
      snapshot: r.log.unstableSnapshot,
      committedEntries: r.log.nextCommitted(),
      messages: r.msgs,
      messagesBeforePersist: before,
      messagesAfterPersist: after,
      readStates: r.readStates,
      // Commit-index-only changes can be lost in a crash (it is recomputed); term, vote and entries cannot.
      mustSync: entries.length > 0 || (hardState !== null && (hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote)),
    };
    r.msgs = [];
    r.readStates = [];
    if (rd.softState) this.prevSoft = rd.softState;
    return rd;
  }

  advance(rd: Ready): void {
    const log = this.raft.log;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      log.stableSnapTo(rd.snapshot.meta.index);
      log.appliedTo(rd.snapshot.meta.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) {
      log.stableTo(last.index, last.term);
      this.raft.selfPersisted();
    }
    const applied = rd.committedEntries[rd.committedEntries.length - 1];
    if (applied) log.appliedTo(applied.index);
  }

  takeMessagesBeforePersist(): Message[] {
    const r = this.raft;
    if (r.msgs.length === 0 || !this.leaderTermDurable()) return [];
    const { before, after } = splitByDurability(r.msgs, true);
    r.msgs = after;
    return before;
  }

  /** A leader whose term and vote are those of the last advanced Ready (prevHard): already durable. */
  private leaderTermDurable(): boolean {
    const hard = this.raft.hardState();
    return this.raft.role === "leader" && hard.term === this.prevHard.term && hard.vote === this.prevHard.vote;
  }

  takeCommitted(): Entry[] {
    const log = this.raft.log;
    // Entries above a snapshot not yet installed would be applied to the state before it.
    if (log.unstableSnapshot !== null || !log.hasNextCommitted()) return [];
    const ents = log.nextCommitted();
    const conf = ents.findIndex((e) => e.kind === "conf");
    const out = conf < 0 ? ents : ents.slice(0, conf);
    const last = out[out.length - 1];
    if (last) log.appliedTo(last.index);
    return out;
  }

  leader(): NodeId | null {
    return this.raft.leader;
  }

  status(): RaftStatus {
    const r = this.raft;
    const progress: Record<NodeId, { match: number; next: number; state: "probe" | "replicate" | "snapshot" }> = {};
    if (r.role === "leader") {
      for (const [id, p] of r.progress) progress[id] = { match: p.match, next: p.next, state: p.state };
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      role: r.role,
      leader: r.leader,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      conf: r.conf(),
      progress,
    };
  }
}

/** Creates the pure core from storage (restarting from its hard state, membership and `config.applied`). */
export function createRawNode(config: RaftConfig): RawNode {
  return new RawNodeImpl(config);
}
