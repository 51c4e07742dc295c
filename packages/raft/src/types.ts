// The contract between the pure Raft core (src/core/) and everything around
// it (storage, driver, transport, simulation). etcd/raft's RawNode/Ready shape:
// the core never does I/O; it hands the caller a Ready describing what to
// persist, what to send and what to apply, and the caller reports back with
// advance() once it has done so.

/** A member's stable identity inside one group (the libp2p PeerId string in production). */
export type NodeId = string;

export type EntryKind = "normal" | "noop" | "conf";

/** One log entry. Indexes start at 1; index 0 / term 0 is the empty-log sentinel. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly kind: EntryKind;
  /** "normal": the state-machine command; "conf": an encoded ConfChange; "noop": empty. */
  readonly data: Uint8Array;
}

/** Persisted before any message that depends on it is sent (Raft §5.1, Figure 2 "persistent state"). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/** Fixed voter set plus non-voting learners. Voter count is 3–7 in production configs. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /**
   * Learners that the leader promotes to voter automatically once caught up.
   * replaceVoter is carried out as two single-server steps (remove the old
   * voter and add the new one as a learner, then promote it), because a
   * one-step swap lets {b,c} of {a,b,c} and {a,d} of {a,b,d} elect two
   * leaders in one term. Absent when empty.
   */
  readonly autoPromote?: readonly NodeId[];
}

/**
 * Single-server membership change: at most one pending at a time (Raft
 * dissertation §4.1). "replaceVoter" swaps one member's identity without
 * changing n. It is proposed as one entry but takes effect as two
 * single-server steps: applying it removes `remove` and adds `add` as a
 * learner listed in ConfState.autoPromote; the leader then proposes
 * promoteLearner(add) once `add` has caught up. (A one-step swap is not safe:
 * {b,c} is a majority of {a,b,c} and {a,d} one of {a,b,d}, and they are disjoint.)
 */
export type ConfChange =
  | { readonly type: "addLearner"; readonly node: NodeId }
  | { readonly type: "promoteLearner"; readonly node: NodeId }
  | { readonly type: "removeNode"; readonly node: NodeId }
  | { readonly type: "replaceVoter"; readonly remove: NodeId; readonly add: NodeId };

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** Opaque state-machine snapshot bytes. */
  readonly data: Uint8Array;
}

export type MessageType =
  | "preVote"
  | "preVoteResp"
  | "vote"
  | "voteResp"
  | "append"
  | "appendResp"
  | "heartbeat"
  | "heartbeatResp"
  | "snapshot"
  | "timeoutNow"
  // A follower forwards a ReadIndex request to the leader (context = request
  // context); the leader answers with readIndexResp (index = read index).
  | "readIndex"
  | "readIndexResp";

/**
 * One wire message. Fields not used by a type are left at their zero value
 * (0, [], false, null) so the codec stays a fixed shape.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** append: prevLogTerm; vote/preVote: lastLogTerm; rejected appendResp: term at rejectHint. */
  readonly logTerm: number;
  /**
   * append: prevLogIndex; vote/preVote: lastLogIndex; appendResp: match or
   * rejected index; heartbeat/heartbeatResp: the leader's tick when it sent
   * the heartbeat (echoed; lease reads); readIndexResp: the read index.
   */
  readonly index: number;
  readonly entries: readonly Entry[];
  /** Leader's commit index (append, heartbeat). */
  readonly commit: number;
  /** voteResp / appendResp rejection. */
  readonly reject: boolean;
  /**
   * appendResp rejection hint (fast log backtracking): the follower's last
   * index whose term could still match, at most its last index.
   */
  readonly rejectHint: number;
  readonly snapshot: Snapshot | null;
  /**
   * ReadIndex request context echoed through heartbeats (empty when unused);
   * on vote/preVote, "raft:transfer" marks a leader-transfer campaign that
   * may bypass the followers' leader lease.
   */
  readonly context: Uint8Array;
}

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/** Volatile state that is useful to observe but never persisted. */
export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/** A ReadIndex request that became safe to serve once `index` is applied locally. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

/**
 * What the core asks the caller to do, in this order:
 * 0. (optional) send `messagesBeforePersist` — it may do so before or while
 *    it persists;
 * 1. persist `snapshot` (if any), then `entries` (truncating any existing
 *    suffix from entries[0].index), then `hardState` (if any) — fsync when
 *    `mustSync`;
 * 2. only then send `messagesAfterPersist` (or, a caller that skipped step 0,
 *    all of `messages`);
 * 3. apply `committedEntries` (and a received `snapshot`) to the state machine;
 * 4. call `advance(ready)` — this is also the core's signal that `entries`
 *    are durable.
 *
 * Sending `messagesBeforePersist` early lets a leader write its log in
 * parallel with replicating it (Raft dissertation §10.2.1), so a commit costs
 * one fsync of latency instead of two. It is safe because the leader counts
 * itself toward a commit quorum only up to what advance() reported durable,
 * and those messages (a leader's append and heartbeat, only when its term and
 * vote are already durable) promise nothing about this node's disk. Every
 * message that does promise durability — vote/preVote answers, appendResp,
 * snapshot traffic, anything from a non-leader — is in `messagesAfterPersist`.
 * A crash between step 0 and step 1 is allowed: followers may then hold
 * entries the leader lost, which were never counted as committed.
 *
 * Between ready() and advance() the caller may keep calling step(), tick()
 * and propose(); it must not call ready() again before advance().
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly committedEntries: readonly Entry[];
  /** Every message, in the order the core produced them: messagesBeforePersist and messagesAfterPersist together. Always safe to send after step 1. */
  readonly messages: readonly Message[];
  /** The leader's appends and heartbeats that may be sent before (or while) this Ready is persisted. Empty on a non-leader and in a Ready that changes term or vote. */
  readonly messagesBeforePersist: readonly Message[];
  /** The rest of `messages`: must not be sent before this Ready is persisted. */
  readonly messagesAfterPersist: readonly Message[];
  readonly readStates: readonly ReadState[];
  readonly mustSync: boolean;
}

/**
 * The log the core reads but does not own. The caller appends persisted
 * entries (and applies snapshots) to it during step 1 of handling a Ready.
 * Errors: entries()/term() throw CompactedError below firstIndex() and
 * UnavailableError above lastIndex().
 */
export interface LogStorage {
  initialState(): { hardState: HardState; conf: ConfState };
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

/** Injected randomness, so schedules replay from a seed. Returns an integer in [0, n). */
export type RandomInt = (n: number) => number;

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: LogStorage;
  /** Ticks without leader contact before an election; randomized in [electionTick, 2*electionTick). */
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly random: RandomInt;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Entries in flight per follower in replicate state (pipelining window). */
  readonly maxInflight: number;
  /** Upper bound of one append message's entry payload. */
  readonly maxMsgBytes: number;
  /** Serve reads from the leader lease instead of a heartbeat round (off by default). */
  readonly leaseRead: boolean;
  /** Applied index to resume from after a restart (entries above it are re-delivered). */
  readonly applied: number;
}

/**
 * The pure core, etcd's RawNode. Synchronous, no timers, no I/O, no ambient
 * randomness. Propose methods throw ProposalDroppedError when this node cannot
 * accept (not leader, leader transfer in progress, conf change pending).
 */
export interface RawNode {
  tick(): void;
  step(msg: Message): void;
  /** Appends to the leader's log; returns the (term, index) the entry got. */
  propose(data: Uint8Array): { term: number; index: number };
  proposeConfChange(cc: ConfChange): { term: number; index: number };
  /** Must be called when a committed "conf" entry is applied; returns the new ConfState. */
  applyConfChange(cc: ConfChange): ConfState;
  /** Starts a linearizable read; a ReadState with the same context appears in a later Ready. */
  readIndex(context: Uint8Array): void;
  transferLeader(to: NodeId): void;
  /** Start an election now (tests, operator action). */
  campaign(): void;
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, ok: boolean): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(rd: Ready): void;
  /**
   * Between ready() and advance(): committed entries not yet handed out
   * (those of the pending Ready included, as they are committed too), up to
   * the first configuration change; they count as applied from here on. Lets
   * a leader whose own fsync is slower than its followers answer as soon as
   * the followers alone make a quorum. Entries only: messages and state
   * changes still come with the next Ready. Nothing while a received
   * snapshot is pending: the entries above it belong after its install.
   */
  takeCommitted(): Entry[];
  /**
   * Between ready() and advance(): the messages produced since ready() that
   * may leave before anything is persisted (the leader's appends and
   * heartbeats, by the rule of Ready.messagesBeforePersist, judged against
   * the last advanced hard state); the rest stay for the next Ready. Lets a
   * leader replicate proposals that arrive while its own fsync runs instead
   * of holding them until it completes: the followers then write them in
   * parallel with that fsync, and with takeCommitted() the followers' acks
   * alone can commit them.
   */
  takeMessagesBeforePersist(): Message[];
  status(): RaftStatus;
  /** The leader this member knows of (status().leader without building a status). */
  leader(): NodeId | null;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly role: Role;
  readonly leader: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly conf: ConfState;
  /** Leader only: per-peer replication progress. */
  readonly progress: Readonly<Record<NodeId, { match: number; next: number; state: "probe" | "replicate" | "snapshot" }>>;
}

/** The state machine every committee runs. apply must be deterministic: no clock, network or randomness. */
export interface ApplyContext {
  readonly index: number;
  readonly term: number;
}

export interface StateMachine<R = unknown> {
  apply(command: Uint8Array, ctx: ApplyContext): R;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}

/** Metric sinks the driver reports to; the daemon binds them to prom-client. All optional. */
export interface RaftMetrics {
  term?(value: number): void;
  isLeader?(value: boolean): void;
  commitIndex?(value: number): void;
  appliedIndex?(value: number): void;
  proposalCommitted?(): void;
  proposalFailed?(reason: string): void;
  commitLatencySeconds?(seconds: number): void;
  fsyncLatencySeconds?(seconds: number): void;
  snapshotTaken?(seconds: number): void;
  snapshotInstalled?(seconds: number): void;
}
