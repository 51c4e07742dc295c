// What a peer shows, besides the committee MAC, to prove where it runs:
// nothing, a development attestation (signed statement, no hardware), or a
// TDX quote. A committee that requires TDX refuses anything but a valid
// quote, unless the lattice is explicitly insecure-dev (fail closed).
import type { PrivateKey, PublicKey } from "@libp2p/interface";
import { NetError, describeError } from "./errors.js";
import { utf8 } from "./bytes.js";
import { WireReader, WireWriter } from "./wire.js";
import {
  MAX_QUOTE_LENGTH,
  tdxReportData,
  verifyTdxAttestation,
  type BindingHash,
  type Collateral,
  type TcbStatus,
  type VerifiedQuote,
} from "./tdx.js";

export type Attestation =
  | { kind: "none" }
  | { kind: "dev"; signature: Uint8Array }
  | { kind: "tdx"; quote: Uint8Array };

const KIND_BYTE = { none: 0, dev: 1, tdx: 2 } as const;
const DEV_TAG = utf8("lattice/dev-attestation/1");

export interface AttestationPolicy {
  /** The committee's config pins MR_TDs (unseal, atelier). */
  requireTdx: boolean;
  mrtdAcl: readonly Uint8Array[];
  /** `LatticeConfig.insecureDev`: accept development attestations in a TDX committee. */
  insecureDev: boolean;
  /** Operator-supplied collateral; required to admit a TDX quote. */
  collateral?: Collateral;
  /** Verification clock in seconds; defaults to wall time. */
  nowSecs?: () => number;
  acceptedTcbStatuses?: readonly TcbStatus[];
}

export interface AttestationSubject {
  peerId: Uint8Array;
  publicKey: PublicKey;
  groupId: Uint8Array;
}

export type AttestationVerdict = { kind: "none" } | { kind: "dev" } | { kind: "tdx"; quote: VerifiedQuote };

/** "dev" ‖ peer id ‖ groupId under a domain tag, signed with the peer's libp2p key. */
export function devAttestationMessage(peerId: Uint8Array, groupId: Uint8Array): Uint8Array {
  return new WireWriter().raw(DEV_TAG).bytes16(utf8("dev")).bytes16(peerId).bytes16(groupId).finish();
}

export async function createDevAttestation(
  privateKey: PrivateKey,
  peerId: Uint8Array,
  groupId: Uint8Array,
): Promise<Attestation> {
  return { kind: "dev", signature: await privateKey.sign(devAttestationMessage(peerId, groupId)) };
}

/** Produces this node's attestation for a given peer id and group. */
export type AttestationProvider = (peerId: Uint8Array, groupId: Uint8Array) => Promise<Attestation>;

export const noAttestation: AttestationProvider = async () => ({ kind: "none" });

export function devAttestationProvider(privateKey: PrivateKey): AttestationProvider {
  return (peerId, groupId) => createDevAttestation(privateKey, peerId, groupId);
}

/**
 * On TDX hardware, `getQuote` asks the platform (configfs-tsm) for a quote
 * over the given 64 report-data bytes.
 */
export function tdxAttestationProvider(
  getQuote: (reportData: Uint8Array) => Promise<Uint8Array>,
  hash: BindingHash = "sha512",
): AttestationProvider {
  return async (peerId, groupId) => ({ kind: "tdx", quote: await getQuote(tdxReportData(peerId, groupId, hash)) });
}

export function encodeAttestation(a: Attestation): Uint8Array {
  const w = new WireWriter().u8(KIND_BYTE[a.kind]);
  if (a.kind === "dev") w.bytes16(a.signature);
  if (a.kind === "tdx") w.bytes16(a.quote);
  return w.finish();
}

export function decodeAttestation(buf: Uint8Array): Attestation {
  const r = new WireReader(buf, "Attestation");
  const kind = r.u8("kind");
  let out: Attestation;
  if (kind === KIND_BYTE.none) out = { kind: "none" };
  else if (kind === KIND_BYTE.dev) out = { kind: "dev", signature: r.bytes16("signature", 128) };
  else if (kind === KIND_BYTE.tdx) out = { kind: "tdx", quote: r.bytes16("quote", MAX_QUOTE_LENGTH) };
  else {
    throw new NetError("NET_DECODE", `Attestation: unknown kind byte ${kind}; expected 0 (none), 1 (dev) or 2 (tdx).`, {
      fields: { message: "Attestation", field: "kind", value: kind },
    });
  }
  r.end();
  return out;
}

function refuse(reason: string, fields: Record<string, unknown> = {}, cause?: unknown): never {
  throw new NetError("ATTESTATION_REFUSED", `Attestation refused: ${reason}`, { fields, cause });
}

export async function verifyAttestation(
  att: Attestation,
  subject: AttestationSubject,
  policy: AttestationPolicy,
): Promise<AttestationVerdict> {
  switch (att.kind) {
    case "none":
      if (policy.requireTdx) refuse("this committee requires TDX and the peer presented no attestation.", { kind: "none" });
      return { kind: "none" };
    case "dev": {
      if (policy.requireTdx && !policy.insecureDev) {
        refuse(
          "this committee requires TDX; a development attestation is accepted only when the lattice config sets insecureDev.",
          { kind: "dev" },
        );
      }
      let ok = false;
      try {
        ok = await subject.publicKey.verify(devAttestationMessage(subject.peerId, subject.groupId), att.signature);
      } catch (cause) {
        refuse(`development attestation signature could not be checked (${describeError(cause)}).`, { kind: "dev" }, cause);
      }
      if (!ok) refuse("development attestation signature does not match the peer's key and this group.", { kind: "dev" });
      return { kind: "dev" };
    }
    case "tdx": {
      if (policy.collateral === undefined) {
        refuse("a TDX quote was presented but no collateral is configured to verify it; supply the collateral file.", {
          kind: "tdx",
        });
      }
      const quote = verifyTdxAttestation({
        quote: att.quote,
        peerId: subject.peerId,
        groupId: subject.groupId,
        collateral: policy.collateral,
        nowSecs: policy.nowSecs?.() ?? Math.floor(Date.now() / 1000),
        mrtdAcl: policy.mrtdAcl,
        ...(policy.acceptedTcbStatuses ? { acceptedStatuses: policy.acceptedTcbStatuses } : {}),
      });
      return { kind: "tdx", quote };
    }
  }
}
