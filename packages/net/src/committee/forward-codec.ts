// Wire messages of `/lattice/committee/propose/1.0.0/<groupIdHex>`: a member
// that is not the leader forwards a proposal to the leader, one stream per
// proposal, and gets back (term, index, result) or why it failed.
//   request:  version u8 ‖ hasRequestId u8 ‖ [clientId (len varint ‖ utf8) ‖ seq varint] ‖ data (rest)
//   response: 0x00 ‖ term varint ‖ index varint ‖ result (rest, v8-serialized, as the driver's dedupe table stores it)
//             0x01 ‖ outcome u8 ‖ leader (len varint ‖ utf8, empty: none) ‖ code (len ‖ utf8) ‖ message (len ‖ utf8)
// `outcome` tells the forwarder whether a retry is safe without a request id.
import type { RequestId } from "@builder/raft";
import { readVarint, varintLength, writeVarint } from "../raft-transport/varint.js";
import { CommitteeError } from "./errors.js";

export const FORWARD_VERSION = 1;
const MAX_TEXT = 1024;

export const FORWARD_OUTCOMES = ["not_applied", "unknown", "failed"] as const;
/** not_applied: nothing was appended (safe to retry); unknown: may have applied (retry only with a request id); failed: applied and failed, or refused for good. */
export type ForwardOutcome = (typeof FORWARD_OUTCOMES)[number];

export interface ForwardRequest {
  readonly requestId: RequestId | null;
  readonly data: Uint8Array;
}

export type ForwardResponse =
  | { readonly ok: true; readonly term: number; readonly index: number; readonly result: Uint8Array }
  | { readonly ok: false; readonly outcome: ForwardOutcome; readonly leader: string | null; readonly code: string; readonly message: string };

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

const fail = (what: string) => (field: string, offset: number, expected: string, received: string) =>
  new CommitteeError("COMMITTEE_FORWARD_DECODE", `Cannot decode ${what}: field "${field}" at byte ${offset}: expected ${expected}, received ${received}.`, {
    fields: { what, field, offset, expected, received },
  });

class Out {
  private parts: Uint8Array[] = [];
  private size = 0;
  u8(v: number): this {
    return this.raw(Uint8Array.of(v));
  }
  uint(v: number): this {
    const b = new Uint8Array(varintLength(v));
    writeVarint(b, 0, v);
    return this.raw(b);
  }
  str(s: string): this {
    const b = enc.encode(s);
    return this.uint(b.length).raw(b);
  }
  raw(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

class In {
  off = 0;
  constructor(
    readonly b: Uint8Array,
    readonly f: ReturnType<typeof fail>,
  ) {}
  u8(field: string): number {
    const v = this.b[this.off];
    if (v === undefined) throw this.f(field, this.off, "a byte", "the end of the frame");
    this.off++;
    return v;
  }
  uint(field: string): number {
    const [v, next] = readVarint(this.b, this.off, field, this.f);
    this.off = next;
    return v;
  }
  str(field: string, max = MAX_TEXT): string {
    const at = this.off;
    const n = this.uint(`${field}.length`);
    if (n > max || n > this.b.length - this.off) throw this.f(field, at, `at most ${Math.min(max, this.b.length - this.off)} bytes`, `${n}`);
    let s: string;
    try {
      s = dec.decode(this.b.subarray(this.off, this.off + n));
    } catch {
      throw this.f(field, this.off, "UTF-8 text", "invalid UTF-8");
    }
    this.off += n;
    return s;
  }
  rest(): Uint8Array {
    const r = this.b.slice(this.off);
    this.off = this.b.length;
    return r;
  }
}

export function encodeForwardRequest(r: ForwardRequest): Uint8Array {
  const o = new Out().u8(FORWARD_VERSION).u8(r.requestId ? 1 : 0);
  if (r.requestId) o.str(r.requestId.clientId).uint(r.requestId.seq);
  return o.raw(r.data).finish();
}

export function decodeForwardRequest(b: Uint8Array): ForwardRequest {
  const i = new In(b, fail("forwarded proposal"));
  const v = i.u8("version");
  if (v !== FORWARD_VERSION) throw i.f("version", 0, `version ${FORWARD_VERSION}`, `version ${v}`);
  const has = i.u8("hasRequestId");
  if (has > 1) throw i.f("hasRequestId", 1, "0 or 1", String(has));
  let requestId: RequestId | null = null;
  if (has === 1) {
    const clientId = i.str("requestId.clientId", 256);
    if (clientId.length === 0) throw i.f("requestId.clientId", 2, "1..256 bytes", "an empty id");
    requestId = { clientId, seq: i.uint("requestId.seq") };
  }
  return { requestId, data: i.rest() };
}

export function encodeForwardResponse(r: ForwardResponse): Uint8Array {
  if (r.ok) return new Out().u8(0).uint(r.term).uint(r.index).raw(r.result).finish();
  return new Out()
    .u8(1)
    .u8(FORWARD_OUTCOMES.indexOf(r.outcome))
    .str(r.leader ?? "")
    .str(r.code.slice(0, 128))
    .str(r.message.slice(0, MAX_TEXT / 4))
    .finish();
}

export function decodeForwardResponse(b: Uint8Array): ForwardResponse {
  const i = new In(b, fail("forward response"));
  const status = i.u8("status");
  if (status === 0) return { ok: true, term: i.uint("term"), index: i.uint("index"), result: i.rest() };
  if (status !== 1) throw i.f("status", 0, "0 (ok) or 1 (error)", String(status));
  const oc = i.u8("outcome");
  const outcome = FORWARD_OUTCOMES[oc];
  if (outcome === undefined) throw i.f("outcome", 1, `0..${FORWARD_OUTCOMES.length - 1}`, String(oc));
  const leader = i.str("leader", 256);
  const code = i.str("code");
  const message = i.str("message");
  if (i.off !== b.length) throw i.f("end", i.off, "end of frame", `${b.length - i.off} trailing bytes`);
  return { ok: false, outcome, leader: leader === "" ? null : leader, code, message };
}
