// Committee admission over `/lattice/admission/1.0.0/<groupIdHex>`.
//
//   initiator → responder   nonce_i
//   responder → initiator   nonce_r ‖ mac_r ‖ attestation_r
//   initiator → responder   mac_i ‖ attestation_i        (only if mac_r checked out)
//   responder → initiator   verdict
//
// Each side admits the other once it has checked the other's MAC (and
// attestation, where the policy asks for one). Admission lasts while the
// peer stays connected: the transport gates Raft traffic on isAdmitted().
// A peer with a different config has a different GroupId and thus a
// different protocol id, so negotiation fails before any secret is used.
import { EventEmitter } from "node:events";
import { randomBytes } from "node:crypto";
import type { Connection, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { LatticeHost } from "./host.js";
import { NetError, describeError } from "./errors.js";
import { toHex } from "./bytes.js";
import { framed, type Framed } from "./framing.js";
import { NET_METRICS } from "./metrics.js";
import { WireReader, WireWriter } from "./wire.js";
import {
  AdmissionRole,
  GROUP_ID_LENGTH,
  MAC_LENGTH,
  NONCE_LENGTH,
  admissionKey,
  admissionMac,
  verifyAdmissionMac,
  type TranscriptInput,
} from "./admission-transcript.js";
import {
  decodeAttestation,
  encodeAttestation,
  noAttestation,
  verifyAttestation,
  type AttestationPolicy,
  type AttestationProvider,
  type AttestationVerdict,
} from "./attestation.js";
import { MAX_QUOTE_LENGTH } from "./tdx.js";

export const ADMISSION_REFUSAL_REASONS = [
  "group_mismatch",
  "bad_mac",
  "attestation",
  "timeout",
  "malformed",
  "closed",
] as const;
export type AdmissionRefusalReason = (typeof ADMISSION_REFUSAL_REASONS)[number];

export function admissionProtocol(groupId: Uint8Array): string {
  return `/lattice/admission/1.0.0/${toHex(groupId)}`;
}

const MAX_FRAME = 64 + 8 + MAX_QUOTE_LENGTH;
const VERDICT_OK = 0;

export interface AdmissionOptions {
  host: LatticeHost;
  groupId: Uint8Array;
  /** The 32-byte `<ORG>_COMMITTEE_SECRET_FILE` content. Never logged. */
  committeeSecret: Uint8Array;
  /** What this node presents, and what it demands of others. Defaults: none / not required. */
  attestation?: { provider: AttestationProvider; policy: AttestationPolicy };
  /** Whole-handshake deadline. */
  timeoutMs?: number;
}

export interface AdmittedPeer {
  peerId: string;
  attestation: AttestationVerdict;
}

export interface AdmissionEvents {
  admitted: [AdmittedPeer];
  refused: [{ peerId: string; reason: AdmissionRefusalReason; detail: string }];
}

export class AdmissionRefusedError extends NetError {
  readonly reason: AdmissionRefusalReason;
  constructor(peerId: string, reason: AdmissionRefusalReason, detail: string, cause?: unknown) {
    super("ADMISSION_REFUSED", `Admission of ${peerId} refused (${reason}): ${detail}`, {
      fields: { peerId, reason },
      temporary: reason === "timeout" || reason === "closed",
      cause,
    });
    this.reason = reason;
  }
}

export class Admission extends EventEmitter<AdmissionEvents> {
  readonly protocol: string;
  private readonly key: Uint8Array;
  private readonly admittedPeers = new Map<string, AdmittedPeer>();
  private readonly timeoutMs: number;
  private readonly provider: AttestationProvider;
  private readonly policy: AttestationPolicy;
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.admittedPeers.delete(evt.detail.toString());
  };

  constructor(private readonly opts: AdmissionOptions) {
    super();
    if (opts.groupId.length !== GROUP_ID_LENGTH) {
      throw new NetError("NET_CONFIG", `Admission: groupId is ${opts.groupId.length} bytes; expected ${GROUP_ID_LENGTH}.`, {
        fields: { length: opts.groupId.length },
      });
    }
    if (opts.committeeSecret.length < 32) {
      throw new NetError(
        "NET_CONFIG",
        `Admission: committee secret is ${opts.committeeSecret.length} bytes; expected at least 32 (openssl rand -hex 32).`,
        { fields: { length: opts.committeeSecret.length } },
      );
    }
    this.protocol = admissionProtocol(opts.groupId);
    this.key = admissionKey(opts.committeeSecret, opts.groupId);
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.provider = opts.attestation?.provider ?? noAttestation;
    this.policy = opts.attestation?.policy ?? { requireTdx: false, mrtdAcl: [], insecureDev: false };
  }

  async start(): Promise<void> {
    await this.opts.host.libp2p.handle(this.protocol, (stream, connection) => this.respond(stream, connection));
    this.opts.host.libp2p.addEventListener("peer:disconnect", this.onDisconnect);
  }

  async stop(): Promise<void> {
    this.opts.host.libp2p.removeEventListener("peer:disconnect", this.onDisconnect);
    await this.opts.host.libp2p.unhandle(this.protocol);
    this.admittedPeers.clear();
  }

  isAdmitted(peerId: PeerId | string): boolean {
    return this.admittedPeers.has(peerId.toString());
  }

  admitted(): AdmittedPeer[] {
    return [...this.admittedPeers.values()];
  }

  /** Runs the handshake as initiator; resolves once both sides admitted each other. */
  async admit(peer: PeerId | Multiaddr): Promise<AdmittedPeer> {
    const libp2p = this.opts.host.libp2p;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let remote = peer.toString();
    let stream: Stream;
    try {
      stream = await libp2p.dialProtocol(peer, this.protocol, { signal });
    } catch (err) {
      const name = (err as Error).name ?? "";
      const reason: AdmissionRefusalReason = name.includes("UnsupportedProtocol")
        ? "group_mismatch"
        : signal.aborted
          ? "timeout"
          : "closed";
      const detail =
        reason === "group_mismatch"
          ? `the peer does not serve ${this.protocol}: it runs a different config (GroupId) or is not a member.`
          : `could not open admission stream: ${describeError(err)}`;
      throw this.refused(remote, reason, detail, err);
    }
    const f = framed(stream, MAX_FRAME, this.opts.host.metrics);
    try {
      const remotePeer = this.peerOf(stream);
      remote = remotePeer.toString();
      const nonceI = randomBytes(NONCE_LENGTH);
      await f.write(nonceI, { signal });
      const m2 = new WireReader(await f.read({ signal }), "AdmissionResponse");
      const nonceR = m2.fixed(NONCE_LENGTH, "nonce");
      const macR = m2.fixed(MAC_LENGTH, "mac");
      const attR = decodeAttestation(m2.bytes16("attestation", MAX_QUOTE_LENGTH + 8));
      m2.end();
      const t = this.transcript(libp2p.peerId, remotePeer, nonceI, nonceR);
      if (!verifyAdmissionMac(this.key, { ...t, role: AdmissionRole.Responder }, macR)) {
        throw new Refusal("bad_mac", "the responder's MAC does not verify: it holds a different committee secret.");
      }
      const verdict = await this.checkAttestation(remotePeer, attR);
      const macI = admissionMac(this.key, { ...t, role: AdmissionRole.Initiator });
      const myAtt = encodeAttestation(await this.provider(libp2p.peerId.toMultihash().bytes, this.opts.groupId));
      await f.write(new WireWriter().raw(macI).bytes16(myAtt).finish(), { signal });
      const v = new WireReader(await f.read({ signal }), "AdmissionVerdict");
      const code = v.u8("verdict");
      v.end();
      if (code !== VERDICT_OK) {
        const reason = ADMISSION_REFUSAL_REASONS[code - 1] ?? "malformed";
        throw new Refusal(reason, `the responder refused us (${reason}).`);
      }
      await stream.close({ signal }).catch(() => {});
      return this.accept(remote, verdict);
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw this.refusedFrom(remote, err, signal);
    }
  }

  private async respond(stream: Stream, connection: Connection): Promise<void> {
    const libp2p = this.opts.host.libp2p;
    const remotePeer = connection.remotePeer;
    const remote = remotePeer.toString();
    const signal = AbortSignal.timeout(this.timeoutMs);
    const f = framed(stream, MAX_FRAME, this.opts.host.metrics);
    try {
      const m1 = new WireReader(await f.read({ signal }), "AdmissionHello");
      const nonceI = m1.fixed(NONCE_LENGTH, "nonce");
      m1.end();
      const nonceR = randomBytes(NONCE_LENGTH);
      const t = this.transcript(remotePeer, libp2p.peerId, nonceI, nonceR);
      const macR = admissionMac(this.key, { ...t, role: AdmissionRole.Responder });
      const myAtt = encodeAttestation(await this.provider(libp2p.peerId.toMultihash().bytes, this.opts.groupId));
      await f.write(new WireWriter().raw(nonceR).raw(macR).bytes16(myAtt).finish(), { signal });
      const m3 = new WireReader(await f.read({ signal }), "AdmissionProof");
      const macI = m3.fixed(MAC_LENGTH, "mac");
      const attI = decodeAttestation(m3.bytes16("attestation", MAX_QUOTE_LENGTH + 8));
      m3.end();
      try {
        if (!verifyAdmissionMac(this.key, { ...t, role: AdmissionRole.Initiator }, macI)) {
          throw new Refusal("bad_mac", "the initiator's MAC does not verify: it holds a different committee secret.");
        }
        const verdict = await this.checkAttestation(remotePeer, attI);
        await f.write(Uint8Array.of(VERDICT_OK), { signal });
        await stream.close({ signal }).catch(() => {});
        this.accept(remote, verdict);
      } catch (err) {
        // Tell the initiator why, so its operator sees the cause on their side too.
        const reason = err instanceof Refusal ? err.reason : "malformed";
        await f.write(Uint8Array.of(ADMISSION_REFUSAL_REASONS.indexOf(reason) + 1), { signal }).catch(() => {});
        await stream.close({ signal }).catch(() => {});
        throw err;
      }
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      this.refusedFrom(remote, err, signal);
    }
  }

  private transcript(
    initiator: PeerId,
    responder: PeerId,
    nonceInitiator: Uint8Array,
    nonceResponder: Uint8Array,
  ): Omit<TranscriptInput, "role"> {
    return {
      groupId: this.opts.groupId,
      initiator: initiator.toMultihash().bytes,
      responder: responder.toMultihash().bytes,
      nonceInitiator,
      nonceResponder,
    };
  }

  private async checkAttestation(peer: PeerId, att: ReturnType<typeof decodeAttestation>): Promise<AttestationVerdict> {
    if (peer.publicKey === undefined) {
      throw new Refusal("malformed", `peer id ${peer.toString()} carries no public key; expected an Ed25519 peer id.`);
    }
    try {
      return await verifyAttestation(
        att,
        { peerId: peer.toMultihash().bytes, publicKey: peer.publicKey, groupId: this.opts.groupId },
        this.policy,
      );
    } catch (err) {
      throw new Refusal("attestation", describeError(err), err);
    }
  }

  private peerOf(stream: Stream): PeerId {
    for (const c of this.opts.host.libp2p.getConnections()) if (c.streams.includes(stream)) return c.remotePeer;
    throw new Refusal("closed", "the admission stream's connection closed before the handshake started.");
  }

  private accept(peerId: string, attestation: AttestationVerdict): AdmittedPeer {
    const admitted = { peerId, attestation };
    this.admittedPeers.set(peerId, admitted);
    this.opts.host.logger.info({ peer: peerId, attestation: attestation.kind }, "admission: peer admitted");
    this.emit("admitted", admitted);
    return admitted;
  }

  private refusedFrom(peerId: string, err: unknown, signal: AbortSignal): AdmissionRefusedError {
    if (err instanceof Refusal) return this.refused(peerId, err.reason, err.message, err.cause);
    if (signal.aborted) return this.refused(peerId, "timeout", `no complete handshake within ${this.timeoutMs} ms.`, err);
    if (err instanceof NetError && err.code === "NET_DECODE") return this.refused(peerId, "malformed", err.message, err);
    return this.refused(peerId, "closed", describeError(err), err);
  }

  private refused(peerId: string, reason: AdmissionRefusalReason, detail: string, cause?: unknown): AdmissionRefusedError {
    this.admittedPeers.delete(peerId);
    this.opts.host.logger.warn({ peer: peerId, reason, detail }, "admission: peer refused");
    this.opts.host.metrics?.inc(NET_METRICS.admissionRefused, { reason });
    this.emit("refused", { peerId, reason, detail });
    return new AdmissionRefusedError(peerId, reason, detail, cause);
  }
}

/** Internal: a refusal with its metric reason, converted to AdmissionRefusedError at the edge. */
class Refusal extends Error {
  constructor(
    readonly reason: AdmissionRefusalReason,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
