// The driver's public surface: what startRaftNode takes and returns.

import type { ConfState, LogStorage, NodeId, RaftMetrics, RaftStatus, RandomInt, Snapshot, StateMachine } from "../types.js";
import type { PersistableReady } from "../storage/durable-storage.js";
import type { RequestId } from "./envelope.js";
import type { RaftLogger } from "./logger.js";
import type { ProposeResult } from "./proposals.js";
import type { RaftTransport } from "./transport.js";
import type { WhenCondition } from "./waiters.js";

export type { ProposeResult };

/** What the driver needs from storage; DurableStorage implements it. */
export interface RaftNodeStorage extends LogStorage {
  isEmpty(): boolean;
  bootstrap(conf: ConfState, stateMachineSnapshot: Uint8Array): void;
  save(rd: PersistableReady): Promise<void>;
  setConfState(conf: ConfState): void;
  /** Takes the snapshot in memory at once; resolves when it is durable and the log compacted. */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Promise<Snapshot>;
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
  /**
   * How long a leader may hold an entry-less append that only announces a
   * new commit index, hoping the next append carries it instead (see
   * commit-notices.ts). Followers learn of commits at most this much later;
   * the leader's own answers are not delayed. 0 sends at once. Default 10.
   */
  readonly commitNoticeDelayMs?: number;
  /** Default timeout of read(), when() and membership calls. Default 20 election timeouts. */
  readonly defaultTimeoutMs?: number;
}

export interface ProposeOptions {
  /** Makes a retried proposal apply at most once; the retry resolves with the first result. */
  readonly requestId?: RequestId;
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
  /** The leader this member knows of (status().leader without building the whole status: callers ask on every proposal). */
  leader(): NodeId | null;
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
