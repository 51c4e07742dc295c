// Lattice read tickets and searcher tickets: JWTs signed by the operator key.
import { SignJWT, jwtVerify, errors as joseErrors, type CryptoKey, type KeyObject } from "jose";
import { NetError, describeError } from "./errors.js";
import { toHex } from "./bytes.js";

export type TicketScope = "read" | "search";
export type TicketAlg = "EdDSA" | "ES256";
export type TicketKey = CryptoKey | KeyObject;

/** A ticket is presented in one frame; anything longer is not a ticket. */
export const MAX_TICKET_LENGTH = 4096;

export interface TicketClaims {
  /** Hex of the 32-byte lattice id. */
  latticeId: string;
  scope: TicketScope;
  /** Searcher id/address for "search"; optional reader id for "read". */
  sub?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  iat: number;
}

export interface IssueTicketOptions {
  key: TicketKey;
  alg?: TicketAlg;
  latticeId: Uint8Array | string;
  scope: TicketScope;
  subject?: string;
  /** Expiry in seconds since the epoch; or use ttlSeconds. */
  expiresAt?: number;
  ttlSeconds?: number;
  nowSecs?: number;
}

export interface VerifyTicketOptions {
  key: TicketKey;
  alg?: TicketAlg;
  latticeId: Uint8Array | string;
  scope: TicketScope;
  nowSecs?: number;
}

const latticeHex = (id: Uint8Array | string): string => (typeof id === "string" ? id.toLowerCase() : toHex(id));

export async function issueTicket(o: IssueTicketOptions): Promise<string> {
  const now = o.nowSecs ?? Math.floor(Date.now() / 1000);
  const exp = o.expiresAt ?? (o.ttlSeconds !== undefined ? now + o.ttlSeconds : undefined);
  if (exp === undefined) {
    throw new NetError("NET_CONFIG", "issueTicket: pass expiresAt or ttlSeconds; tickets without expiry are not issued.");
  }
  if (o.scope === "search" && !o.subject) {
    throw new NetError("NET_CONFIG", "issueTicket: a searcher ticket needs subject (the searcher id or address).");
  }
  const jwt = new SignJWT({ lattice: latticeHex(o.latticeId), scope: o.scope })
    .setProtectedHeader({ alg: o.alg ?? "EdDSA", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(exp);
  if (o.subject !== undefined) jwt.setSubject(o.subject);
  return jwt.sign(o.key);
}

export async function verifyTicket(token: string, o: VerifyTicketOptions): Promise<TicketClaims> {
  if (token.length > MAX_TICKET_LENGTH) {
    throw new NetError("TICKET_MALFORMED", `Ticket is ${token.length} characters; at most ${MAX_TICKET_LENGTH} accepted.`, {
      fields: { length: token.length },
    });
  }
  const nowSecs = o.nowSecs ?? Math.floor(Date.now() / 1000);
  let payload;
  try {
    ({ payload } = await jwtVerify(token, o.key, {
      algorithms: [o.alg ?? "EdDSA"],
      currentDate: new Date(nowSecs * 1000),
      requiredClaims: ["exp", "iat", "lattice", "scope"],
    }));
  } catch (err) {
    throw mapJoseError(err, nowSecs);
  }
  const expected = latticeHex(o.latticeId);
  if (payload["lattice"] !== expected) {
    throw new NetError(
      "TICKET_WRONG_LATTICE",
      `Ticket is for lattice ${String(payload["lattice"])}; this lattice is ${expected}. Ask the operator of this lattice for a ticket.`,
      { fields: { got: payload["lattice"], expected } },
    );
  }
  if (payload["scope"] !== o.scope) {
    throw new NetError("TICKET_WRONG_SCOPE", `Ticket scope is "${String(payload["scope"])}"; this service needs "${o.scope}".`, {
      fields: { got: payload["scope"], expected: o.scope },
    });
  }
  if (o.scope === "search" && typeof payload.sub !== "string") {
    throw new NetError("TICKET_MALFORMED", "Searcher ticket has no sub (searcher id); re-issue it with a subject.");
  }
  return {
    latticeId: expected,
    scope: o.scope,
    ...(payload.sub !== undefined ? { sub: payload.sub } : {}),
    exp: payload.exp as number,
    iat: payload.iat as number,
  };
}

function mapJoseError(err: unknown, nowSecs: number): NetError {
  if (err instanceof joseErrors.JWTExpired) {
    const exp = (err.payload as { exp?: number }).exp;
    return new NetError("TICKET_EXPIRED", `Ticket expired at ${exp} (now ${nowSecs}); request a fresh ticket.`, {
      fields: { exp, nowSecs },
      cause: err,
    });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new NetError("TICKET_BAD_SIGNATURE", "Ticket signature does not verify under this lattice's operator key.", {
      cause: err,
    });
  }
  return new NetError("TICKET_MALFORMED", `Ticket is not a valid JWT for this lattice: ${describeError(err)}.`, { cause: err });
}
