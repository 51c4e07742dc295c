// startCommittee's options, validated at the edge so a misconfigured member
// fails at start with the field named, not later with a Raft symptom.
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { RaftMetrics, StateMachine } from "@builder/raft";
import type { AttestationPolicy, AttestationProvider } from "../attestation.js";
import type { NetLogger } from "../logger.js";
import type { MetricsSink } from "../raft-transport/metrics.js";
import type { RaftTransportOptions } from "../raft-transport/transport.js";
import { CommitteeError } from "./errors.js";

export interface CommitteeOptions<R> {
  /** Organism name, the metric prefix (`<org>_committee_size`): lowercase, digits, underscores. */
  organism: string;
  /** The committee's 32-byte GroupId (derived from the lattice config). */
  groupId: Uint8Array;
  /** Member identity: exactly one of secretKeyFile / secret / privateKey (see createLatticeHost). */
  secretKeyFile?: string;
  secret?: Uint8Array;
  privateKey?: PrivateKey;
  /** `<ORG>_COMMITTEE_SECRET_FILE` content (≥ 32 bytes). Never logged. */
  committeeSecret: Uint8Array;
  /** Peer ids of the voter set, this member included. Used to found the group on first start. */
  members: readonly string[];
  /** `LATTICE_BOOTSTRAP` multiaddrs, each ending in /p2p/<peer id>. */
  bootstrap?: readonly string[];
  /** Listen multiaddrs; default /ip4/127.0.0.1/tcp/0. */
  listen?: string[];
  /** Raft WAL and snapshots live here (fsync before every dependent message). */
  dataDir: string;
  stateMachine: StateMachine<R>;
  /** The config pins MR_TDs: refuse peers without a valid TDX quote (unless insecureDev). */
  requireTdx?: boolean;
  /** `LatticeConfig.insecureDev`: present and accept development attestations. */
  insecureDev?: boolean;
  /** Full control over what we present and demand; overrides requireTdx/insecureDev. */
  attestation?: { provider: AttestationProvider; policy: AttestationPolicy };
  raft?: {
    tickMs?: number;
    electionTick?: number;
    heartbeatTick?: number;
    snapshotEvery?: number;
    /** Extra driver metric sinks (the committee already exports term/leader/commit/applied). */
    metrics?: RaftMetrics;
  };
  transport?: Pick<RaftTransportOptions, "maxFrameBytes" | "maxMessageBytes" | "queue" | "backoff">;
  /**
   * Gossip discovery of committee peers; false turns it off (bootstrap
   * addresses only). `announce` adds ids this member also provides, e.g. the
   * public collections it serves, so readers find them through discovery.
   */
  discovery?: { exchangeIntervalMs?: number; announce?: Uint8Array[] } | false;
  /** Largest command accepted by propose(); default 1 MiB. */
  maxProposalBytes?: number;
  /**
   * Screens proposals other members forward to this one while it leads:
   * return why one is refused, or null. `from` is the forwarding peer's id
   * (admitted, but possibly not a voter).
   */
  acceptForwarded?: (from: string, data: Uint8Array) => string | null;
  metrics?: MetricsSink;
  logger?: NetLogger;
}

export const RAFT_DEFAULTS = { tickMs: 100, electionTick: 10, heartbeatTick: 1, snapshotEvery: 10_000 } as const;

export function validateCommitteeOptions<R>(o: CommitteeOptions<R>): void {
  const bad = (field: string, expected: string, received: unknown): CommitteeError =>
    new CommitteeError("COMMITTEE_CONFIG", `startCommittee: ${field} is ${JSON.stringify(received)}; expected ${expected}.`, {
      fields: { field, received: String(received) },
    });
  if (!/^[a-z][a-z0-9_]*$/.test(o.organism)) throw bad("organism", "a lowercase metric prefix like \"unseal\"", o.organism);
  if (!(o.groupId instanceof Uint8Array) || o.groupId.length !== 32) throw bad("groupId.length", "32 bytes", o.groupId?.length);
  if (o.members.length === 0) throw bad("members", "the peer ids of the voter set (3–7 in production)", []);
  for (const [i, m] of o.members.entries()) {
    try {
      peerIdFromString(m);
    } catch {
      throw bad(`members[${i}]`, "a libp2p peer id (12D3KooW…)", m);
    }
  }
  if (new Set(o.members).size !== o.members.length) throw bad("members", "distinct peer ids", o.members);
  if (typeof o.dataDir !== "string" || o.dataDir.length === 0) throw bad("dataDir", "a directory path", o.dataDir);
  if (o.maxProposalBytes !== undefined && (!Number.isSafeInteger(o.maxProposalBytes) || o.maxProposalBytes < 1)) {
    throw bad("maxProposalBytes", "a positive integer", o.maxProposalBytes);
  }
}
