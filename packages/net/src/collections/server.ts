// Serves one collection over `/lattice/collection/1.0.0/<collectionIdHex>` to
// holders of a valid lattice read ticket (the ticket guard checks it at
// stream open and disconnects at expiry).
//
// A session is a cursor (the next seq) over the stored log, nothing more:
// catch-up and live entries come from the same log, one page at a time, and
// each write waits for the stream to drain. A slow reader therefore costs
// one page of memory; if retention evicts its cursor it gets
// COLLECTION_PRUNED and resumes elsewhere or from a later slot.
import { setMaxListeners } from "node:events";
import type { LatticeHost } from "../host.js";
import { describeError } from "../errors.js";
import { toHex } from "../bytes.js";
import { guardProtocol, type TicketGuard, type TicketSession } from "../ticket-guard.js";
import type { TicketClaims } from "../tickets.js";
import type { MetricsSink } from "../raft-transport/metrics.js";
import { decodeSubscribe, encodeEntries, encodeError, MAX_ENTRIES_PER_FRAME, PAGE_BYTES } from "./codec.js";
import { CollectionError } from "./errors.js";
import type { CollectionLog } from "./log.js";
import { COLLECTION_METRICS as M } from "./metrics.js";

export function collectionProtocol(collectionId: Uint8Array): string {
  return `/lattice/collection/1.0.0/${toHex(collectionId)}`;
}

export interface ServeCollectionOptions {
  host: LatticeHost;
  log: CollectionLog;
  /** Usually `(t) => verifyTicket(t, { key: operatorKey, latticeId, scope: "read" })`. */
  verifyTicket: (token: string) => Promise<TicketClaims>;
  metrics?: MetricsSink;
  /** Time a reader has to send its Subscribe after the ticket. Default 5 s. */
  requestTimeoutMs?: number;
}

export interface CollectionServer {
  readonly protocol: string;
  sessions(): number;
  stop(): Promise<void>;
}

export async function serveCollection(o: ServeCollectionOptions): Promise<CollectionServer> {
  const protocol = collectionProtocol(o.log.id);
  const label = { collection: toHex(o.log.id).slice(0, 16) };
  const logger = o.host.logger;
  let readers = 0;
  const stopAll = new AbortController();
  // Every live reader session listens on this one signal (and removes its
  // listener when it ends); more than Node's default of 10 readers is normal.
  setMaxListeners(0, stopAll.signal);

  const onSession = async (s: TicketSession): Promise<void> => {
    const peer = s.connection.remotePeer.toString();
    const ac = new AbortController();
    const abort = (): void => ac.abort(new Error("session closed"));
    s.stream.addEventListener("close", abort);
    stopAll.signal.addEventListener("abort", abort);
    o.metrics?.set(M.readers, ++readers, label);
    let reason = "closed";
    try {
      const start = decodeSubscribe(await s.framed.read({ signal: AbortSignal.any([ac.signal, AbortSignal.timeout(o.requestTimeoutMs ?? 5000)]) }));
      let seq = o.log.resolveStart(start);
      logger.debug({ peer, protocol, ...start, seq }, "collection: reader subscribed");
      while (!ac.signal.aborted) {
        await o.log.waitFor(seq, ac.signal);
        const page = o.log.read(seq, PAGE_BYTES, MAX_ENTRIES_PER_FRAME);
        if (page.length === 0) continue;
        await s.framed.write(encodeEntries(page), { signal: ac.signal });
        o.metrics?.inc(M.entriesServed, label, page.length);
        seq += page.length;
      }
    } catch (err) {
      if (err instanceof CollectionError) {
        reason = err.code === "COLLECTION_PRUNED" ? "pruned" : "bad_request";
        logger.info({ peer, protocol, code: err.code, detail: err.message }, "collection: reader session refused");
        await s.framed.write(encodeError(err.code, err.message)).catch(() => {});
        await s.stream.close().catch(() => {});
      } else if (!ac.signal.aborted) {
        logger.debug({ peer, protocol, err: describeError(err) }, "collection: reader session ended");
        s.stream.abort(err instanceof Error ? err : new Error(String(err)));
      }
    } finally {
      s.stream.removeEventListener("close", abort);
      stopAll.signal.removeEventListener("abort", abort);
      o.metrics?.set(M.readers, --readers, label);
      o.metrics?.inc(M.sessionsEnded, { ...label, reason });
    }
  };

  const guard: TicketGuard = await guardProtocol({
    host: o.host,
    protocol,
    verify: o.verifyTicket,
    onSession,
    // Readers send only the Subscribe frame (a few bytes) after their ticket.
    maxFrame: 64,
  });
  return {
    protocol,
    sessions: () => readers,
    async stop() {
      stopAll.abort();
      await guard.stop();
    },
  };
}
