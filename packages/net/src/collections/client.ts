// Reader client: `subscribe(libp2p, collectionId, opts)` yields a
// collection's entries from a slot on, then follows live ones.
//
// One session per provider; each session resumes after a disconnect from the
// seq after the last one it delivered (SequenceTracker), so delivery is
// at-least-once on the wire and exactly-once, gap-free and in order to the
// caller. With `quorum: k` an entry is yielded once k providers served
// identical (slot, data) for its seq (QuorumAgreement). Memory is bounded by
// `window` entries: sessions stop reading (and the servers' writes block on
// the stream) until the caller consumes.
import { setTimeout as sleep } from "node:timers/promises";
import type { Libp2p, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { NetError, describeError } from "../errors.js";
import { openTicketedStream } from "../ticket-guard.js";
import { decodeServerFrame, encodeSubscribe, MAX_COLLECTION_FRAME } from "./codec.js";
import type { CollectionEntry } from "./entry.js";
import { CollectionError, type CollectionErrorCode } from "./errors.js";
import { QuorumAgreement } from "./quorum.js";
import { SequenceTracker } from "./sequence.js";
import { collectionProtocol } from "./server.js";

export type ProviderTarget = PeerId | Multiaddr;

export interface SubscribeOptions {
  /** First slot wanted; entries of earlier slots are not sent. */
  fromSlot: number;
  /** Members to read from: a list, or a lookup (e.g. discovery's providers(collectionId)). */
  providers: readonly ProviderTarget[] | (() => Promise<readonly ProviderTarget[]>);
  /** The lattice read ticket; a function is called on every (re)connect so it can refresh. */
  ticket: string | (() => Promise<string>);
  /** Yield an entry once this many providers served identical bytes for it. Default 1. */
  quorum?: number;
  /** Entries buffered ahead of the caller (agreed and pending). Default 1,024. */
  window?: number;
  /** Reconnect backoff per provider, doubling. Defaults 100 ms → 5 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  signal?: AbortSignal;
  /** Called with every session error (reconnects follow unless it is fatal). */
  onError?: (provider: string, err: unknown) => void;
}

/** Errors after which a session does not reconnect to that provider. */
const FATAL: ReadonlySet<CollectionErrorCode> = new Set(["COLLECTION_TICKET_REFUSED", "COLLECTION_PRUNED"]);

export async function* subscribe(
  libp2p: Libp2p,
  collectionId: Uint8Array,
  opts: SubscribeOptions,
): AsyncGenerator<CollectionEntry, void, undefined> {
  const providers = typeof opts.providers === "function" ? await opts.providers() : opts.providers;
  const k = opts.quorum ?? 1;
  if (providers.length < k) {
    throw new CollectionError(
      "COLLECTION_CONFIG",
      `subscribe: quorum ${k} needs at least ${k} providers; got ${providers.length}.`,
      { fields: { quorum: k, providers: providers.length } },
    );
  }
  const agreement = new QuorumAgreement(k, opts.window ?? 1024);
  const protocol = collectionProtocol(collectionId);
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  // Sessions blocked on a full window wait here until the caller consumes.
  let spaceWaiters: (() => void)[] = [];
  const notifySpace = (): void => {
    const ws = spaceWaiters;
    spaceWaiters = [];
    for (const w of ws) w();
  };
  const fatal: Error[] = [];
  signal.addEventListener(
    "abort",
    () => {
      notify();
      notifySpace();
    },
    { once: true },
  );

  const runSession = async (target: ProviderTarget): Promise<void> => {
    const name = target.toString();
    const tracker = new SequenceTracker();
    let delay = opts.backoff?.initialMs ?? 100;
    while (!signal.aborted) {
      let progressed = false;
      let stream: { abort(err: Error): void } | undefined;
      try {
        const ticket = typeof opts.ticket === "function" ? await opts.ticket() : opts.ticket;
        let f;
        try {
          f = await openTicketedStream(libp2p, target, protocol, ticket, { signal, maxFrame: MAX_COLLECTION_FRAME });
        } catch (err) {
          if (err instanceof NetError && err.code === "TICKET_REFUSED") {
            throw new CollectionError("COLLECTION_TICKET_REFUSED", `${name} refused the read ticket (${String(err.fields.serverCode)}); request a fresh ticket.`, {
              fields: { provider: name, serverCode: err.fields.serverCode },
              cause: err,
            });
          }
          throw err;
        }
        stream = f.stream;
        const resume = tracker.resumeSeq();
        await f.write(encodeSubscribe(resume === null ? { fromSlot: opts.fromSlot } : { fromSeq: resume }), { signal });
        for (;;) {
          const next = tracker.resumeSeq();
          while (!agreement.accepts(next)) {
            await new Promise<void>((r) => spaceWaiters.push(r));
            if (signal.aborted) throw signal.reason;
          }
          const frame = decodeServerFrame(await f.read({ signal }));
          if (frame.type === "error") {
            const code = frame.code as CollectionErrorCode;
            throw new CollectionError(code.startsWith("COLLECTION_") ? code : "COLLECTION_UNAVAILABLE", `${name}: ${frame.message}`, {
              fields: { provider: name, serverCode: frame.code },
            });
          }
          for (const e of frame.entries) {
            if (e.slot < opts.fromSlot) {
              throw new CollectionError("COLLECTION_DECODE", `${name} sent slot ${e.slot} before the requested slot ${opts.fromSlot}.`, {
                fields: { provider: name, slot: e.slot, fromSlot: opts.fromSlot },
              });
            }
            if (tracker.accept(e.seq, name) === "deliver") {
              agreement.offer(name, e);
              progressed = true;
            }
          }
          if (progressed) delay = opts.backoff?.initialMs ?? 100;
          notify();
        }
      } catch (err) {
        stream?.abort(err instanceof Error ? err : new Error(String(err)));
        if (signal.aborted) return;
        opts.onError?.(name, err);
        if (err instanceof CollectionError && FATAL.has(err.code)) {
          fatal.push(err);
          notify();
          return;
        }
      }
      await sleep(delay, undefined, { signal }).catch(() => {});
      delay = Math.min(delay * 2, opts.backoff?.maxMs ?? 5000);
    }
  };

  const sessions = providers.map((p) => runSession(p).catch((err: unknown) => {
    fatal.push(err instanceof Error ? err : new Error(describeError(err)));
    notify();
  }));
  try {
    for (;;) {
      const agreed = agreement.take();
      if (agreed.length > 0) {
        notifySpace();
        for (const e of agreed) yield e;
        continue;
      }
      if (providers.length - fatal.length < k) {
        throw fatal[fatal.length - 1] ?? new CollectionError("COLLECTION_UNAVAILABLE", "subscribe: no provider left.");
      }
      if (signal.aborted) return;
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  } finally {
    stop.abort();
    notifySpace();
    await Promise.allSettled(sessions);
  }
}
