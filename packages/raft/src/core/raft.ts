// The Raft state machine shared by every role: terms, votes, the log, the
// membership and the outgoing mailbox. Role-specific message handling lives
// in follower.ts, candidate.ts and leader.ts; this file holds the
// transitions between roles and the rules common to all (Raft Figure 2,
// "Rules for Servers: All Servers").
import { ConfChangeError, ConfigError, ProposalDroppedError } from "../errors.js";
import { encodeConfChange } from "../codec.js";
import type { ConfChange, ConfState, EntryKind, HardState, Message, NodeId, RaftConfig, ReadState, Role, SoftState } from "../types.js";
import { applyConfChangeTo, validateConfChange } from "./conf-change.js";
import { stepCandidate } from "./candidate.js";
import { stepFollower } from "./follower.js";
import { bcastAppend, bcastHeartbeat, maybeAutoPromote, sendAppend, sendTimeoutNow, stepLeader } from "./leader.js";
import { RaftLog } from "./log.js";
import { EMPTY, TRANSFER_CONTEXT, isTransferContext, makeMessage, type MessageFields } from "./message.js";
import { Progress } from "./progress.js";
import { committedIndex, isQuorum, voteResult } from "./quorum.js";
import { ReadOnly } from "./read-only.js";

/** Lease reads stop this many ticks before the followers' election timeout, covering clock drift and delivery delay. */
export function leaseDriftTicks(electionTick: number): number {
  return Math.max(1, Math.ceil(electionTick / 5));
}

function validateConfig(c: RaftConfig): void {
  if (typeof c.id !== "string" || c.id.length === 0) throw new ConfigError("id", "a non-empty node id", c.id);
  if (!Number.isInteger(c.heartbeatTick) || c.heartbeatTick < 1) throw new ConfigError("heartbeatTick", "an integer >= 1", c.heartbeatTick);
  if (!Number.isInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) throw new ConfigError("electionTick", `an integer > heartbeatTick (${c.heartbeatTick})`, c.electionTick);
  if (!Number.isInteger(c.maxInflight) || c.maxInflight < 1) throw new ConfigError("maxInflight", "an integer >= 1", c.maxInflight);
  if (!Number.isInteger(c.maxMsgBytes) || c.maxMsgBytes < 1) throw new ConfigError("maxMsgBytes", "an integer >= 1", c.maxMsgBytes);
  if (!Number.isInteger(c.applied) || c.applied < 0) throw new ConfigError("applied", "a non-negative integer", c.applied);
  if (typeof c.random !== "function") throw new ConfigError("random", "a function (n) => integer in [0, n)", typeof c.random);
  if (c.leaseRead && !c.checkQuorum) throw new ConfigError("leaseRead", "checkQuorum: true as well (the lease is what check-quorum observed)", c.leaseRead);
}

export class Raft {
  readonly id: NodeId;
  readonly cfg: RaftConfig;
  term = 0;
  vote: NodeId | null = null;
  role: Role = "follower";
  leader: NodeId | null = null;
  readonly log: RaftLog;
  voters: NodeId[] = [];
  learners: NodeId[] = [];
  autoPromote: NodeId[] = [];
  /** Every member's progress; meaningful on the leader only. */
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  readonly readOnly = new ReadOnly();
  /** Leader: reads that wait for the first commit of this term (dissertation §6.4 step 1). */
  pendingReads: { from: NodeId; context: Uint8Array }[] = [];
  leadTransferee: NodeId | null = null;
  /** Leader: index of the last conf entry; no new one until it is applied. */
  pendingConfIndex = 0;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Monotonic local tick count (lease bookkeeping). */
  ticks = 0;

  constructor(cfg: RaftConfig) {
    validateConfig(cfg);
    this.cfg = cfg;
    this.id = cfg.id;
    const { hardState, conf } = cfg.storage.initialState();
    const snapIndex = cfg.storage.firstIndex() - 1;
    // Everything in a snapshot is committed, and a snapshot may be ahead of
    // the stored commit index (a leader applies what its followers alone
    // committed before the new commit index reaches its disk), and entries
    // kept below it put firstIndex lower: take the snapshot's own index.
    const commit = Math.max(hardState.commit, snapIndex, cfg.storage.snapshot().meta.index);
    if (cfg.applied > commit) throw new ConfigError("applied", `at most the stored commit index ${commit}`, cfg.applied);
    if (commit > cfg.storage.lastIndex()) throw new ConfigError("storage", `a hard state commit (${commit}) <= last index ${cfg.storage.lastIndex()}`, hardState);
    this.log = new RaftLog(cfg.storage, commit, Math.max(cfg.applied, snapIndex));
    this.setConf(conf);
    this.becomeFollower(hardState.term, null);
    this.vote = hardState.vote;
  }

  // ---- observation ----

  softState(): SoftState {
    return { leader: this.leader, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  conf(): ConfState {
    return this.autoPromote.length > 0
      ? { voters: this.voters.slice(), learners: this.learners.slice(), autoPromote: this.autoPromote.slice() }
      : { voters: this.voters.slice(), learners: this.learners.slice() };
  }

  isVoter(id: NodeId): boolean {
    return this.voters.includes(id);
  }

  // ---- mailbox ----

  send(f: MessageFields): void {
    this.msgs.push(makeMessage(this.id, this.term, f));
  }

  peers(): NodeId[] {
    return [...this.progress.keys()].filter((id) => id !== this.id);
  }

  // ---- role transitions ----

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTick + this.cfg.random(this.cfg.electionTick);
    this.leadTransferee = null;
    this.votes.clear();
    const last = this.log.lastIndex();
    for (const [id, old] of this.progress) {
      const p = new Progress(last + 1, this.cfg.maxInflight, old.isLearner);
      // Our own match counts toward commit, so only what is durable (see selfPersisted).
      if (id === this.id) p.match = this.log.persistedIndex();
      this.progress.set(id, p);
    }
    this.pendingConfIndex = 0;
    this.readOnly.reset();
    this.pendingReads = [];
  }

  becomeFollower(term: number, leader: NodeId | null): void {
    this.reset(term);
    this.leader = leader;
    this.role = "follower";
  }

  private becomePreCandidate(): void {
    // Pre-vote (dissertation §9.6): ask first, without bumping the term, so a
    // partitioned node cannot inflate terms and depose a healthy leader.
    this.votes.clear();
    this.leader = null;
    this.role = "preCandidate";
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = "candidate";
  }

  becomeLeader(): void {
    this.reset(this.term);
    this.leader = this.id;
    this.role = "leader";
    this.progress.get(this.id)?.becomeReplicate();
    // Any conf entry still unapplied in our log counts as pending.
    this.pendingConfIndex = this.log.lastIndex();
    // Raft §8: a no-op at term start commits the previous terms' entries
    // (Figure 8) and lets ReadIndex serve once it commits.
    this.appendEntries([{ kind: "noop", data: EMPTY }]);
    bcastAppend(this);
  }

  // ---- elections ----

  promotable(): boolean {
    return this.isVoter(this.id);
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    if (lo > this.log.committed) return false;
    return this.log.slice(lo, this.log.committed + 1).some((e) => e.kind === "conf");
  }

  /** Start an election if allowed. `transfer` skips pre-vote and the followers' lease check. */
  hup(transfer: boolean): void {
    if (this.role === "leader") return;
    if (!this.promotable()) return;
    // A conf change committed but not applied could change who may vote;
    // campaigning with the stale configuration could split the quorum.
    if (this.hasUnappliedConfChanges()) return;
    if (this.cfg.preVote && !transfer) this.campaign("pre", false);
    else this.campaign("election", transfer);
  }

  campaign(kind: "pre" | "election", transfer: boolean): void {
    let voteTerm: number;
    if (kind === "pre") {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    if (this.poll(this.id, true) === "won") {
      if (kind === "pre") this.campaign("election", transfer);
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const v of this.voters) {
      if (v === this.id) continue;
      this.send({ type: kind === "pre" ? "preVote" : "vote", to: v, term: voteTerm, index, logTerm, context: transfer ? TRANSFER_CONTEXT : EMPTY });
    }
  }

  poll(id: NodeId, granted: boolean): "won" | "lost" | "pending" {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return voteResult(this.voters, this.votes);
  }

  // ---- log ----

  /** Leader: append entries of the current term; returns the last index. */
  appendEntries(ents: { kind: EntryKind; data: Uint8Array }[]): number {
    let index = this.log.lastIndex();
    this.log.append(ents.map((e) => ({ term: this.term, index: ++index, kind: e.kind, data: e.data })));
    // Our own match does not move here: the entries are not durable yet, and
    // the append messages may leave before they are (Ready.messagesBeforePersist).
    // selfPersisted() moves it once the caller has persisted them.
    return index;
  }

  /**
   * The caller persisted our log up to log.persistedIndex() (RawNode.advance).
   * A leader counts itself toward a commit quorum only from here (dissertation
   * §10.2.1): counting an entry it may still lose in a crash could commit it
   * on a minority of durable copies. Cost: O(voters log voters).
   */
  selfPersisted(): void {
    if (this.role !== "leader") return;
    const pr = this.progress.get(this.id);
    if (!pr || !pr.maybeUpdate(this.log.persistedIndex())) return;
    if (this.maybeCommit()) {
      this.onCommitAdvanced();
      // Tell the followers about the new commit index now rather than at the next heartbeat.
      bcastAppend(this);
    }
  }

  /** Leader: advance commit to the quorum match index, if it is an entry of this term. */
  maybeCommit(): boolean {
    const mci = committedIndex(this.voters, (id) => this.progress.get(id)?.match ?? 0);
    return this.log.maybeCommit(mci, this.term);
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.termOr0(this.log.committed) === this.term;
  }

  onCommitAdvanced(): void {
    if (this.role !== "leader" || this.pendingReads.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const reads = this.pendingReads;
    this.pendingReads = [];
    for (const r of reads) this.handleReadIndex(r.from, r.context);
  }

  // ---- membership ----

  setConf(conf: ConfState): void {
    this.voters = conf.voters.slice();
    this.learners = conf.learners.filter((l) => !conf.voters.includes(l));
    this.autoPromote = (conf.autoPromote ?? []).slice();
    const members = new Set([...this.voters, ...this.learners]);
    const last = this.log.lastIndex();
    for (const id of members) {
      const p = this.progress.get(id);
      if (p) {
        p.isLearner = this.learners.includes(id);
      } else {
        const np = new Progress(last + 1, this.cfg.maxInflight, this.learners.includes(id));
        np.recentActive = true;
        if (id === this.id) np.match = this.log.persistedIndex();
        this.progress.set(id, np);
      }
    }
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
  }

  applyConfChange(cc: ConfChange): ConfState {
    const next = applyConfChangeTo(this.conf(), cc);
    this.setConf(next);
    if (this.role === "leader") {
      if (!this.promotable()) {
        // Removed leader: stop leading so the remaining voters elect one of them.
        this.becomeFollower(this.term, null);
      } else {
        if (this.leadTransferee !== null && !this.isVoter(this.leadTransferee)) this.leadTransferee = null;
        if (this.maybeCommit()) this.onCommitAdvanced();
        bcastAppend(this);
      }
    }
    return next;
  }

  // ---- client operations ----

  private checkCanPropose(): void {
    if (this.role !== "leader") throw new ProposalDroppedError("notLeader", this.leader);
    if (this.leadTransferee !== null) throw new ProposalDroppedError("transferring", this.id, `transferring to ${this.leadTransferee}`);
  }

  propose(kind: EntryKind, data: Uint8Array): { term: number; index: number } {
    this.checkCanPropose();
    const index = this.appendEntries([{ kind, data }]);
    bcastAppend(this);
    return { term: this.term, index };
  }

  proposeConfChange(cc: ConfChange): { term: number; index: number } {
    this.checkCanPropose();
    if (this.pendingConfIndex > this.log.applied) {
      throw new ProposalDroppedError("confChangePending", this.id, `conf entry ${this.pendingConfIndex} not yet applied (applied ${this.log.applied})`);
    }
    if (this.autoPromote.length > 0) {
      throw new ProposalDroppedError("confChangePending", this.id, `waiting to promote ${this.autoPromote.join(",")} (replaceVoter step two)`);
    }
    validateConfChange(this.conf(), cc);
    const r = this.propose("conf", encodeConfChange(cc));
    this.pendingConfIndex = r.index;
    return r;
  }

  readIndex(context: Uint8Array): void {
    if (this.role === "leader") {
      this.handleReadIndex(this.id, context);
    } else if (this.leader !== null) {
      this.send({ type: "readIndex", to: this.leader, context });
    } else {
      throw new ProposalDroppedError("notLeader", null, "read index needs a leader");
    }
  }

  /** Leader: serve a ReadIndex request from `from` (itself or a follower). */
  handleReadIndex(from: NodeId, context: Uint8Array): void {
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReads.push({ from, context });
      return;
    }
    if (this.voters.length === 1 && this.voters[0] === this.id) {
      this.respondRead(from, this.log.committed, context);
      return;
    }
    if (this.cfg.leaseRead && this.leaseValid()) {
      this.respondRead(from, this.log.committed, context);
      return;
    }
    this.readOnly.add(this.log.committed, from, context);
    this.readOnly.ack(this.id, context);
    bcastHeartbeat(this, context);
  }

  respondRead(from: NodeId, index: number, context: Uint8Array): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send({ type: "readIndexResp", to: from, index, context });
  }

  /**
   * A quorum acknowledged heartbeats sent within the last electionTick minus
   * the drift margin. Assumes ticks advance at the same rate everywhere: a
   * leader whose event loop stalls (ticks lost) overestimates its lease.
   * A transfer in progress hands the followers permission to elect early, so
   * it voids the lease.
   */
  leaseValid(): boolean {
    if (this.leadTransferee !== null) return false;
    const window = this.cfg.electionTick - leaseDriftTicks(this.cfg.electionTick);
    return isQuorum(this.voters, (id) => id === this.id || (this.progress.get(id)?.lastAckTick ?? -Infinity) >= this.ticks - window);
  }

  transferLeader(to: NodeId): void {
    if (this.role !== "leader") throw new ProposalDroppedError("notLeader", this.leader, "transferLeader must be called on the leader");
    if (to === this.id) return;
    if (!this.isVoter(to)) throw new ConfChangeError(`Cannot transfer leadership to ${to}: it is not a voter (voters: ${this.voters.join(",")}).`);
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    // The transfer aborts if it has not completed within one election timeout.
    this.electionElapsed = 0;
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex()) sendTimeoutNow(this, to);
    else sendAppend(this, to);
  }

  // ---- time ----

  tick(): void {
    this.ticks++;
    if (this.role === "leader") this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        const active = isQuorum(this.voters, (id) => id === this.id || this.progress.get(id)?.recentActive === true);
        for (const [id, p] of this.progress) p.recentActive = id === this.id;
        if (!active) {
          // Check-quorum (dissertation §6.2): a leader cut off from a majority
          // steps down within one election timeout instead of serving stale reads.
          this.becomeFollower(this.term, null);
          return;
        }
      }
      this.leadTransferee = null;
    }
    maybeAutoPromote(this);
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      bcastHeartbeat(this, this.readOnly.lastContext() ?? EMPTY);
    }
  }

  // ---- messages ----

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === "vote" || m.type === "preVote") {
        const force = isTransferContext(m.context);
        const inLease = this.cfg.checkQuorum && this.leader !== null && this.electionElapsed < this.cfg.electionTick;
        // Dissertation §4.2.3: while we hear from a leader, ignore
        // disruptive candidates (removed members, rejoining partitions).
        if (!force && inLease) return;
      }
      if (m.type === "preVote") {
        // A pre-vote never changes our term.
      } else if (m.type === "preVoteResp" && !m.reject) {
        // Granted pre-votes carry the future term; the term moves when we campaign.
      } else if (m.type === "append" || m.type === "heartbeat" || m.type === "snapshot") {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === "append" || m.type === "heartbeat")) {
        // A stale leader that cannot see our higher term (pre-vote keeps us
        // from disturbing it) learns it from this response and steps down.
        this.send({ type: "appendResp", to: m.from });
      } else if (m.type === "preVote") {
        this.send({ type: "preVoteResp", to: m.from, reject: true });
      }
      return;
    }

    if (m.type === "vote" || m.type === "preVote") {
      this.handleVote(m);
      return;
    }
    switch (this.role) {
      case "leader":
        stepLeader(this, m);
        return;
      case "candidate":
      case "preCandidate":
        stepCandidate(this, m);
        return;
      case "follower":
        stepFollower(this, m);
        return;
    }
  }

  private handleVote(m: Message): void {
    const resp = m.type === "vote" ? "voteResp" : "preVoteResp";
    // Figure 2 RequestVote: grant if we have not voted for someone else this
    // term and the candidate's log is at least as up to date (§5.4.1).
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.leader === null) ||
      (m.type === "preVote" && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send({ type: resp, to: m.from, term: m.term });
      if (m.type === "vote") {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: resp, to: m.from, term: this.term, reject: true });
    }
  }

  /** Follower: AppendEntries receiver (Figure 2). */
  handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send({ type: "appendResp", to: m.from, index: this.log.committed });
      return;
    }
    const last = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (last !== null) {
      this.send({ type: "appendResp", to: m.from, index: last });
      return;
    }
    // Fast backtracking: point the leader at the last index whose term could
    // still match, and its term, so it skips a whole divergent term at once.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({ type: "appendResp", to: m.from, index: m.index, reject: true, rejectHint: hint, logTerm: this.log.termOr0(hint) });
  }

  handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: "heartbeatResp", to: m.from, index: m.index, context: m.context });
  }

  handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (snap === null) return;
    if (snap.meta.index <= this.log.committed) {
      this.send({ type: "appendResp", to: m.from, index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(snap.meta.index, snap.meta.term)) {
      // We already have the entry the snapshot ends at: just fast-forward commit.
      this.log.commitTo(snap.meta.index);
      this.send({ type: "appendResp", to: m.from, index: this.log.committed });
      return;
    }
    this.log.restore(snap);
    this.setConf(snap.meta.conf);
    this.send({ type: "appendResp", to: m.from, index: this.log.lastIndex() });
  }
}
