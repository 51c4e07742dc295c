// Proposal forwarding between admitted members: the follower side sends one
// request on a fresh stream, the leader side proposes it locally and answers.
// The leader never forwards further: if it lost leadership it answers
// not_applied with its best leader hint and the caller's facade retries.
import v8 from "node:v8";
import type { Connection, Libp2p, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { ProposalDroppedError, RaftDriverError, type RaftNode, type RequestId } from "@builder/raft";
import { toHex } from "../bytes.js";
import { describeError } from "../errors.js";
import { framed } from "../framing.js";
import type { NetLogger } from "../logger.js";
import type { AdmissionGate } from "../raft-transport/transport.js";
import { CommitteeError } from "./errors.js";
import {
  decodeForwardRequest,
  decodeForwardResponse,
  encodeForwardRequest,
  encodeForwardResponse,
  type ForwardOutcome,
  type ForwardResponse,
} from "./forward-codec.js";

export function forwardProtocol(groupId: Uint8Array): string {
  return `/lattice/committee/propose/1.0.0/${toHex(groupId)}`;
}

/** Largest forwarded result (v8-serialized) and request (command + envelope). */
export const MAX_FORWARD_RESPONSE = 16 * 1024 * 1024;
export const MAX_FORWARD_REQUEST_OVERHEAD = 512;

/** Sorts a propose failure by what a retry may do. */
export function outcomeOf(err: unknown): ForwardOutcome {
  if (err instanceof ProposalDroppedError) return err.temporary ? "not_applied" : "failed";
  if (err instanceof RaftDriverError) {
    if (err.code === "RAFT_PROPOSAL_OVERWRITTEN") return "not_applied";
    if (err.code === "RAFT_PROPOSAL_OUTCOME_UNKNOWN" || err.code === "RAFT_STOPPED" || err.code === "RAFT_TIMEOUT") return "unknown";
  }
  return "failed";
}

export interface ForwardServerOptions {
  libp2p: Libp2p;
  groupId: Uint8Array;
  admission: AdmissionGate;
  node: () => RaftNode<unknown> | null;
  maxProposalBytes: number;
  logger: NetLogger;
  /**
   * Screens a forwarded proposal before the leader proposes it: returns why
   * it is refused (the sender gets COMMITTEE_FORWARD_REFUSED) or null. The
   * organism decides what an admitted peer that is not a voter may propose.
   */
  accept?: (from: string, data: Uint8Array) => string | null;
}

export async function serveForwarding(o: ForwardServerOptions): Promise<() => Promise<void>> {
  const protocol = forwardProtocol(o.groupId);
  const handler = async (stream: Stream, connection: Connection): Promise<void> => {
    const remote = connection.remotePeer.toString();
    const f = framed(stream, o.maxProposalBytes + MAX_FORWARD_REQUEST_OVERHEAD);
    const reply = async (r: ForwardResponse): Promise<void> => {
      await f.write(encodeForwardResponse(r));
      await stream.close().catch(() => {});
    };
    try {
      if (!o.admission.isAdmitted(remote)) {
        await reply({ ok: false, outcome: "failed", leader: null, code: "ADMISSION_REFUSED", message: "not admitted to this committee" });
        return;
      }
      const req = decodeForwardRequest(await f.read({ signal: AbortSignal.timeout(5000) }));
      const refusal = o.accept?.(remote, req.data) ?? null;
      if (refusal !== null) {
        o.logger.warn({ peer: remote, reason: refusal }, "committee: forwarded proposal refused");
        await reply({ ok: false, outcome: "failed", leader: null, code: "COMMITTEE_FORWARD_REFUSED", message: refusal });
        return;
      }
      const node = o.node();
      if (node === null) {
        await reply({ ok: false, outcome: "not_applied", leader: null, code: "COMMITTEE_STOPPED", message: "member is stopping" });
        return;
      }
      const st = node.status();
      if (st.role !== "leader") {
        await reply({ ok: false, outcome: "not_applied", leader: st.leader, code: "RAFT_PROPOSAL_DROPPED", message: "not the leader" });
        return;
      }
      try {
        const r = await node.propose(req.data, req.requestId ? { requestId: req.requestId } : {});
        let result: Uint8Array;
        try {
          result = v8.serialize(r.result);
        } catch (err) {
          await reply({
            ok: false,
            outcome: "failed",
            leader: st.leader,
            code: "COMMITTEE_FORWARD_FAILED",
            message: `applied at index ${r.index}, but its result cannot be serialized back: ${describeError(err)}`,
          });
          return;
        }
        await reply({ ok: true, term: r.term, index: r.index, result });
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        await reply({
          ok: false,
          outcome: outcomeOf(err),
          leader: node.status().leader,
          code: typeof code === "string" ? code : "COMMITTEE_FORWARD_FAILED",
          message: err instanceof Error ? err.message : String(err),
        });
      }
    } catch (err) {
      o.logger.debug({ peer: remote, err: describeError(err) }, "committee: forwarded proposal stream failed");
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  };
  await o.libp2p.handle(protocol, handler, { maxInboundStreams: 256 });
  return () => o.libp2p.unhandle(protocol).catch(() => {});
}

/** Sends one proposal to `leader`; throws CommitteeError carrying `outcome` and the leader hint on failure. */
export async function forwardProposal(
  libp2p: Libp2p,
  groupId: Uint8Array,
  leader: string,
  data: Uint8Array,
  requestId: RequestId | null,
  signal: AbortSignal,
): Promise<{ term: number; index: number; result: unknown }> {
  let stage: "open" | "sent" = "open";
  try {
    const stream = await libp2p.dialProtocol(peerIdFromString(leader), forwardProtocol(groupId), { signal });
    const f = framed(stream, MAX_FORWARD_RESPONSE);
    try {
      await f.write(encodeForwardRequest({ requestId, data }), { signal });
      stage = "sent";
      const r = decodeForwardResponse(await f.read({ signal }));
      await stream.close().catch(() => {});
      if (r.ok) return { term: r.term, index: r.index, result: v8.deserialize(r.result) };
      throw new CommitteeError("COMMITTEE_FORWARD_FAILED", `Leader ${leader} did not apply the forwarded proposal: ${r.code}: ${r.message}`, {
        fields: { leader, outcome: r.outcome, leaderHint: r.leader, serverCode: r.code },
        temporary: r.outcome !== "failed",
      });
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  } catch (err) {
    if (err instanceof CommitteeError) throw err;
    // Failing before the request left us means nothing was proposed.
    const outcome: ForwardOutcome = stage === "open" ? "not_applied" : "unknown";
    throw new CommitteeError("COMMITTEE_FORWARD_FAILED", `Forwarding to leader ${leader} failed (${stage === "open" ? "before" : "after"} sending): ${describeError(err)}`, {
      fields: { leader, outcome, leaderHint: null },
      temporary: true,
      cause: err,
    });
  }
}
