// A ticket gate on a stream protocol: the client presents its ticket in the
// first frame; the server verifies it before the handler sees the stream,
// and when the ticket expires mid-session it closes the session's
// connection, so a reader cannot outlive its ticket by keeping streams open.
import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { LatticeHost } from "./host.js";
import { NetError, describeError, type NetErrorCode } from "./errors.js";
import { framed, type Framed } from "./framing.js";
import { MAX_TICKET_LENGTH, type TicketClaims } from "./tickets.js";
import type { NetMetrics } from "./metrics.js";

const ACCEPTED = 0;
const REFUSED = 1;

export interface TicketSession {
  claims: TicketClaims;
  stream: Stream;
  connection: Connection;
  framed: Framed;
}

export interface TicketGuardOptions {
  host: LatticeHost;
  protocol: string;
  /** Usually `(t) => verifyTicket(t, { key, latticeId, scope })`. */
  verify: (token: string) => Promise<TicketClaims>;
  onSession: (session: TicketSession) => void | Promise<void>;
  /** Largest frame the session may read after the ticket. */
  maxFrame?: number;
  /** Time a client has to present its ticket. */
  presentTimeoutMs?: number;
  /** Wall clock in ms (for the expiry timer). */
  nowMs?: () => number;
}

export interface TicketGuard {
  /** Sessions currently open. */
  sessions(): number;
  stop(): Promise<void>;
}

export async function guardProtocol(o: TicketGuardOptions): Promise<TicketGuard> {
  const { host } = o;
  const log = host.logger;
  const nowMs = o.nowMs ?? Date.now;
  const live = new Set<{ timer: NodeJS.Timeout; stream: Stream }>();

  const handler = async (stream: Stream, connection: Connection): Promise<void> => {
    const f = framed(stream, Math.max(o.maxFrame ?? 64 * 1024, MAX_TICKET_LENGTH), host.metrics);
    const peer = connection.remotePeer.toString();
    let claims: TicketClaims;
    try {
      const first = await f.read({ signal: AbortSignal.timeout(o.presentTimeoutMs ?? 5_000) });
      claims = await o.verify(new TextDecoder().decode(first));
    } catch (err) {
      const code: NetErrorCode = err instanceof NetError ? err.code : "TICKET_MALFORMED";
      log.warn({ peer, protocol: o.protocol, code, detail: describeError(err) }, "ticket refused");
      await f.write(Uint8Array.of(REFUSED, ...new TextEncoder().encode(code))).catch(() => {});
      await stream.close().catch(() => stream.abort(new Error(code)));
      return;
    }
    await f.write(Uint8Array.of(ACCEPTED));
    // Expiry disconnects even an idle reader: the timer, not the next read, enforces it.
    const entry = {
      stream,
      timer: setTimeout(() => {
        log.info({ peer, protocol: o.protocol, exp: claims.exp }, "ticket expired mid-session: disconnecting");
        stream.abort(new NetError("TICKET_EXPIRED", `Ticket expired at ${claims.exp}.`));
        void connection.close().catch((e: unknown) => connection.abort(e instanceof Error ? e : new Error(String(e))));
      }, Math.max(0, claims.exp * 1000 - nowMs())),
    };
    live.add(entry);
    stream.addEventListener("close", () => {
      clearTimeout(entry.timer);
      live.delete(entry);
    });
    try {
      await o.onSession({ claims, stream, connection, framed: f });
    } catch (err) {
      log.warn({ peer, protocol: o.protocol, detail: describeError(err) }, "ticketed session handler failed");
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  };

  await host.libp2p.handle(o.protocol, handler);
  return {
    sessions: () => live.size,
    async stop() {
      await host.libp2p.unhandle(o.protocol);
      for (const e of live) {
        clearTimeout(e.timer);
        e.stream.abort(new Error("ticket guard stopped"));
      }
      live.clear();
    },
  };
}

/** Client side: opens `protocol`, presents the ticket, and returns the framed stream once accepted. */
export async function openTicketedStream(
  libp2p: Libp2p,
  peer: PeerId | Multiaddr,
  protocol: string,
  token: string,
  opts: { signal?: AbortSignal; maxFrame?: number; metrics?: NetMetrics } = {},
): Promise<Framed> {
  const stream = await libp2p.dialProtocol(peer, protocol, opts.signal ? { signal: opts.signal } : {});
  const f = framed(stream, opts.maxFrame ?? 64 * 1024, opts.metrics);
  await f.write(new TextEncoder().encode(token), opts.signal ? { signal: opts.signal } : {});
  const reply = await f.read(opts.signal ? { signal: opts.signal } : {});
  if (reply[0] === ACCEPTED && reply.length === 1) return f;
  const code = new TextDecoder().decode(reply.subarray(1));
  stream.abort(new Error("ticket refused"));
  throw new NetError("TICKET_REFUSED", `${protocol}: the server refused our ticket (${code}).`, {
    fields: { protocol, serverCode: code },
  });
}
