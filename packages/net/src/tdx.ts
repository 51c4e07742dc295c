// TDX quote verification in three separately testable stages:
//   verifyQuote (signature chain + collateral, @phala/dcap-qvl)
//   → checkMeasurement (MR_TD against the config's ACL)
//   → checkBinding (report data = hash(peer id ‖ groupId)).
import { readFile } from "node:fs/promises";
import { verify as dcapVerify, type Collateral, type TcbStatus } from "@phala/dcap-qvl";
import { sha512 } from "@noble/hashes/sha2.js";
import { blake3 } from "@noble/hashes/blake3.js";
import { timingSafeEqual } from "node:crypto";
import { NetError, describeError } from "./errors.js";
import { concatBytes, toHex } from "./bytes.js";

export type { Collateral, TcbStatus };

export const TDX_REPORT_DATA_LENGTH = 64;
export const MRTD_LENGTH = 48;
/** Real TDX quotes are ~5 KiB; the cap keeps a hostile peer from handing us megabytes. */
export const MAX_QUOTE_LENGTH = 16 * 1024;
/** Fail closed: only a fully patched TCB is admitted unless the operator widens this. */
export const DEFAULT_ACCEPTED_TCB: readonly TcbStatus[] = ["UpToDate"];

export type BindingHash = "sha512" | "blake3";

/** The 64 report-data bytes a member's quote must carry: hash(peer id ‖ groupId). */
export function tdxReportData(peerId: Uint8Array, groupId: Uint8Array, hash: BindingHash = "sha512"): Uint8Array {
  const msg = concatBytes(peerId, groupId);
  return hash === "sha512" ? sha512(msg) : blake3(msg, { dkLen: TDX_REPORT_DATA_LENGTH });
}

export interface VerifiedQuote {
  status: TcbStatus;
  advisoryIds: string[];
  mrTd: Uint8Array;
  reportData: Uint8Array;
}

export interface CollateralValidity {
  notBeforeSecs: number;
  notAfterSecs: number;
}

const COLLATERAL_KEYS = [
  "pck_crl_issuer_chain",
  "root_ca_crl",
  "pck_crl",
  "tcb_info_issuer_chain",
  "tcb_info",
  "tcb_info_signature",
  "qe_identity_issuer_chain",
  "qe_identity",
  "qe_identity_signature",
] as const;

/** Parses the operator-supplied collateral JSON (the dcap-qvl/PCCS shape). */
export function parseCollateral(json: string, source = "collateral"): Collateral {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch (cause) {
    throw new NetError("TDX_COLLATERAL_INVALID", `${source}: not valid JSON (${describeError(cause)}).`, {
      fields: { source },
      cause,
    });
  }
  if (typeof obj !== "object" || obj === null) {
    throw new NetError("TDX_COLLATERAL_INVALID", `${source}: expected a JSON object with ${COLLATERAL_KEYS.join(", ")}.`, {
      fields: { source },
    });
  }
  const rec = obj as Record<string, unknown>;
  for (const k of COLLATERAL_KEYS) {
    const v = rec[k];
    if (typeof v !== "string" && !Array.isArray(v)) {
      throw new NetError("TDX_COLLATERAL_INVALID", `${source}: key "${k}" missing or not a string/byte array.`, {
        fields: { source, key: k },
      });
    }
  }
  const c = rec as unknown as Collateral;
  collateralValidity(c, source); // fails early on unparsable dates
  return c;
}

export async function readCollateralFile(path: string): Promise<Collateral> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new NetError("TDX_COLLATERAL_INVALID", `Cannot read TDX collateral file ${path}: ${describeError(cause)}.`, {
      fields: { source: path },
      cause,
    });
  }
  return parseCollateral(text, path);
}

/** The window in which both TCB info and QE identity are current. */
export function collateralValidity(c: Collateral, source = "collateral"): CollateralValidity {
  const window = (field: "tcb_info" | "qe_identity"): [number, number] => {
    let parsed: { issueDate?: unknown; nextUpdate?: unknown };
    try {
      parsed = JSON.parse(c[field]) as typeof parsed;
    } catch (cause) {
      throw new NetError("TDX_COLLATERAL_INVALID", `${source}: ${field} is not JSON.`, { fields: { source, field }, cause });
    }
    const from = Date.parse(String(parsed.issueDate));
    const to = Date.parse(String(parsed.nextUpdate));
    if (!Number.isFinite(from) || !Number.isFinite(to)) {
      throw new NetError("TDX_COLLATERAL_INVALID", `${source}: ${field} lacks a valid issueDate/nextUpdate.`, {
        fields: { source, field },
      });
    }
    return [Math.floor(from / 1000), Math.floor(to / 1000)];
  };
  const [a0, a1] = window("tcb_info");
  const [b0, b1] = window("qe_identity");
  return { notBeforeSecs: Math.max(a0, b0), notAfterSecs: Math.min(a1, b1) };
}

/** Stage 1: quote signature chain and collateral at `nowSecs`, TCB status accepted. */
export function verifyQuote(
  quote: Uint8Array,
  collateral: Collateral,
  nowSecs: number,
  acceptedStatuses: readonly TcbStatus[] = DEFAULT_ACCEPTED_TCB,
): VerifiedQuote {
  if (quote.length > MAX_QUOTE_LENGTH) {
    throw new NetError("TDX_QUOTE_INVALID", `TDX quote is ${quote.length} bytes; at most ${MAX_QUOTE_LENGTH} accepted.`, {
      fields: { length: quote.length, max: MAX_QUOTE_LENGTH },
    });
  }
  const validity = collateralValidity(collateral);
  if (nowSecs < validity.notBeforeSecs || nowSecs >= validity.notAfterSecs) {
    const iso = (s: number): string => new Date(s * 1000).toISOString();
    throw new NetError(
      "TDX_COLLATERAL_EXPIRED",
      `TDX collateral is valid from ${iso(validity.notBeforeSecs)} to ${iso(validity.notAfterSecs)}, ` +
        `but verification time is ${iso(nowSecs)}. Fetch fresh collateral from your PCCS and update the collateral file.`,
      { fields: { nowSecs, ...validity } },
    );
  }
  let verified;
  try {
    verified = dcapVerify(quote, collateral, nowSecs);
  } catch (cause) {
    throw new NetError("TDX_QUOTE_INVALID", `TDX quote failed verification: ${describeError(cause)}.`, {
      fields: { length: quote.length },
      cause,
    });
  }
  const td = verified.report.asTd10() ?? verified.report.asTd15()?.base ?? null;
  if (td === null) {
    throw new NetError("TDX_QUOTE_INVALID", `Quote is an ${verified.report.type} report; expected a TDX (td10/td15) report.`, {
      fields: { type: verified.report.type },
    });
  }
  if (!acceptedStatuses.includes(verified.status)) {
    throw new NetError(
      "TDX_TCB_STATUS",
      `TDX quote TCB status is ${verified.status}; accepted: ${acceptedStatuses.join(", ")}.`,
      { fields: { status: verified.status, advisoryIds: verified.advisory_ids } },
    );
  }
  return {
    status: verified.status,
    advisoryIds: verified.advisory_ids,
    mrTd: new Uint8Array(td.mrTd),
    reportData: new Uint8Array(td.reportData),
  };
}

/** Stage 2: the measured TD image must be one the config pins. */
export function checkMeasurement(mrTd: Uint8Array, acl: readonly Uint8Array[]): void {
  for (const allowed of acl) {
    if (allowed.length === mrTd.length && timingSafeEqual(allowed, mrTd)) return;
  }
  throw new NetError(
    "TDX_MRTD_NOT_ALLOWED",
    `MR_TD ${toHex(mrTd)} is not in the committee's ACL (${acl.length} entries: ${acl.map(toHex).join(", ") || "empty"}).`,
    { fields: { mrTd: toHex(mrTd), acl: acl.map(toHex) } },
  );
}

/** Stage 3: the quote's report data must bind this peer and this committee. */
export function checkBinding(reportData: Uint8Array, expected: Uint8Array): void {
  if (reportData.length === expected.length && timingSafeEqual(reportData, expected)) return;
  throw new NetError(
    "TDX_BINDING_MISMATCH",
    `TDX report data ${toHex(reportData)} does not bind this peer and group; expected ${toHex(expected)} ` +
      `(sha512 or blake3-512 of peer id ‖ groupId).`,
    { fields: { reportData: toHex(reportData), expected: toHex(expected) } },
  );
}

export interface TdxCheckInput {
  quote: Uint8Array;
  peerId: Uint8Array;
  groupId: Uint8Array;
  collateral: Collateral;
  nowSecs: number;
  mrtdAcl: readonly Uint8Array[];
  acceptedStatuses?: readonly TcbStatus[];
}

/** All three stages; the binding may use either hash. */
export function verifyTdxAttestation(input: TdxCheckInput): VerifiedQuote {
  const q = verifyQuote(input.quote, input.collateral, input.nowSecs, input.acceptedStatuses);
  checkMeasurement(q.mrTd, input.mrtdAcl);
  const sha = tdxReportData(input.peerId, input.groupId, "sha512");
  const b3 = tdxReportData(input.peerId, input.groupId, "blake3");
  try {
    checkBinding(q.reportData, sha);
  } catch {
    checkBinding(q.reportData, b3);
  }
  return q;
}
