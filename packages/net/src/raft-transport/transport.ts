// Raft messages between committee members over libp2p, protocol
// `/lattice/raft/1.0.0/<groupIdHex>`. Each member opens ONE long-lived
// outbound stream to each peer and only writes to it; the peer's own
// outbound stream carries the replies. One writer per stream keeps ownership
// simple: the sender alone reconnects, and a failed stream loses only what
// was queued on it, which Raft re-sends.
//
// The Raft loop never waits here: send() encodes, queues and starts writing
// the whole per-peer queue as one frame; while a write is in flight new
// messages pile up for the next frame (batching grows with load).
// Implements @builder/raft's RaftTransport.
import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { decodeMessage, encodeMessage, type Message, type NodeId, type RaftTransport } from "@builder/raft";
import { toHex } from "../bytes.js";
import { describeError } from "../errors.js";
import { silentLogger, type NetLogger } from "../logger.js";
import { decodeBatch, encodeFramedBatch, MAX_BATCH_MESSAGES } from "./batch-codec.js";
import { RaftTransportError } from "./errors.js";
import { FrameDecoder } from "./frame-decoder.js";
import { RAFT_TRANSPORT_METRICS as M, type MetricsSink, type RaftDropReason } from "./metrics.js";
import { SendQueue } from "./send-queue.js";
import { performance } from "node:perf_hooks";

// RAFT_HOP_TRACE=1: bench diagnosis timeline (see @builder/raft driver/hop-trace.ts).
const hopSink = globalThis as { __raftHops?: string[] };
const hop: ((event: string, detail?: string | number) => void) | null =
  process.env["RAFT_HOP_TRACE"] === "1"
    ? (event, detail) => {
        (hopSink.__raftHops ??= []).push(`${(performance.timeOrigin + performance.now()).toFixed(3)} ${event} ${detail ?? ""}`);
      }
    : null;

export function raftProtocol(groupId: Uint8Array): string {
  return `/lattice/raft/1.0.0/${toHex(groupId)}`;
}

/** What the transport needs from committee admission (the Admission class fits). */
export interface AdmissionGate {
  isAdmitted(peerId: string): boolean;
  /** Runs the handshake as initiator; rejects when the peer is refused. */
  admit(peer: PeerId): Promise<unknown>;
  on(event: "admitted", listener: (p: { peerId: string }) => void): unknown;
  off(event: "admitted", listener: (p: { peerId: string }) => void): unknown;
}

export interface RaftTransportOptions {
  libp2p: Libp2p;
  groupId: Uint8Array;
  admission: AdmissionGate;
  /** Largest frame read or written (bytes, not counting its length prefix). Default 17 MiB. */
  maxFrameBytes?: number;
  /** Largest single encoded message accepted (snapshots). Default 16 MiB. */
  maxMessageBytes?: number;
  /** Per-peer queue bounds. Defaults: 4,096 messages, 32 MiB. */
  queue?: { maxMessages?: number; maxBytes?: number };
  /** Reconnect backoff, doubling from initial to max. Defaults 50 ms → 2 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long an inbound stream from a not-yet-admitted peer may wait for its handshake to finish. Default 5 s. */
  admissionWaitMs?: number;
  metrics?: MetricsSink;
  logger?: NetLogger;
}

export type MessageHandler = (msg: Message) => void;
export type UnreachableHandler = (peer: NodeId) => void;

const DEFAULTS = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxFrameBytes: 17 * 1024 * 1024,
  maxMessages: 4096,
  maxBytes: 32 * 1024 * 1024,
  initialMs: 50,
  maxMs: 2000,
  admissionWaitMs: 5000,
};

export class Libp2pRaftTransport implements RaftTransport {
  readonly protocol: string;
  readonly selfId: NodeId;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Map<NodeId, Stream>();
  private messageHandler: MessageHandler | null = null;
  private unreachableHandler: UnreachableHandler | null = null;
  private running = false;
  readonly cfg: typeof DEFAULTS;
  readonly logger: NetLogger;

  constructor(readonly opts: RaftTransportOptions) {
    if (opts.groupId.length === 0) {
      throw new RaftTransportError("RAFT_TRANSPORT_CONFIG", "Libp2pRaftTransport: groupId is empty; pass the committee's GroupId bytes.");
    }
    this.protocol = raftProtocol(opts.groupId);
    this.selfId = opts.libp2p.peerId.toString();
    this.logger = opts.logger ?? silentLogger;
    this.cfg = {
      maxMessageBytes: opts.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
      maxFrameBytes: opts.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
      maxMessages: opts.queue?.maxMessages ?? DEFAULTS.maxMessages,
      maxBytes: opts.queue?.maxBytes ?? DEFAULTS.maxBytes,
      initialMs: opts.backoff?.initialMs ?? DEFAULTS.initialMs,
      maxMs: opts.backoff?.maxMs ?? DEFAULTS.maxMs,
      admissionWaitMs: opts.admissionWaitMs ?? DEFAULTS.admissionWaitMs,
    };
    if (this.cfg.maxFrameBytes < this.cfg.maxMessageBytes + 16) {
      throw new RaftTransportError(
        "RAFT_TRANSPORT_CONFIG",
        `Libp2pRaftTransport: maxFrameBytes (${this.cfg.maxFrameBytes}) must exceed maxMessageBytes (${this.cfg.maxMessageBytes}) by at least 16 bytes of framing.`,
        { fields: { maxFrameBytes: this.cfg.maxFrameBytes, maxMessageBytes: this.cfg.maxMessageBytes } },
      );
    }
  }

  async start(): Promise<void> {
    this.running = true;
    await this.opts.libp2p.handle(this.protocol, (stream, connection) => this.onInbound(stream, connection), {
      maxInboundStreams: 8,
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.opts.libp2p.unhandle(this.protocol).catch(() => {});
    for (const link of this.links.values()) link.close();
    this.links.clear();
    for (const s of this.inbound.values()) s.abort(new Error("raft transport stopped"));
    this.inbound.clear();
  }

  /**
   * Never blocks: encodes and queues per peer, then starts writing each
   * touched peer's queue as one frame right away unless a write to it is in
   * flight (then the queue goes out as the next frame when it completes).
   * Right away, not in a microtask: the driver sends a leader's appends
   * before persisting its log, and the WAL write that follows is synchronous,
   * so a microtask would hold the appends until after it.
   */
  send(msgs: readonly Message[]): void {
    if (!this.running) return;
    const touched = new Set<PeerLink>();
    for (const m of msgs) {
      if (m.to === this.selfId) continue;
      let link = this.links.get(m.to);
      if (link === undefined) {
        link = new PeerLink(this, m.to);
        this.links.set(m.to, link);
      }
      hop?.("tx.send", `${m.type} ${m.index} ${m.entries.length}`);
      const bytes = encodeMessage(m);
      if (bytes.length > this.cfg.maxMessageBytes) {
        // Sending it would only make the peer drop the frame, again and again: say so once per message.
        this.drop("too_large", m.to);
        this.logger.error(
          { peer: m.to, type: m.type, bytes: bytes.length, maxMessageBytes: this.cfg.maxMessageBytes },
          "raft transport: message larger than maxMessageBytes not sent; raise maxMessageBytes on every member",
        );
        continue;
      }
      link.enqueue(bytes, m.type === "heartbeat" || m.type === "heartbeatResp");
      touched.add(link);
    }
    for (const link of touched) link.kick();
  }

  /** Registers the single inbound handler (the driver); returns its unregister function. */
  onMessage(handler: MessageHandler): () => void {
    this.messageHandler = handler;
    return () => {
      if (this.messageHandler === handler) this.messageHandler = null;
    };
  }

  /** The driver's reportUnreachable: called when a peer's stream cannot be (re)opened or fails. */
  onUnreachable(handler: UnreachableHandler): void {
    this.unreachableHandler = handler;
  }

  /** Peers with an open outbound Raft stream right now. */
  connectedPeers(): NodeId[] {
    return [...this.links.values()].filter((l) => l.isOpen()).map((l) => l.peer);
  }

  /** @internal */
  drop(reason: RaftDropReason, peer: string, count = 1): void {
    if (count > 0) this.opts.metrics?.inc(M.dropped, { reason }, count);
  }

  /** @internal */
  reportUnreachable(peer: NodeId): void {
    this.opts.metrics?.inc(M.unreachable);
    try {
      this.unreachableHandler?.(peer);
    } catch (err) {
      this.logger.error({ peer, err: describeError(err) }, "raft transport: unreachable handler threw");
    }
  }

  get isRunning(): boolean {
    return this.running;
  }

  private async onInbound(stream: Stream, connection: Connection): Promise<void> {
    const remote = connection.remotePeer.toString();
    // Not a byte is read before admission: until then libp2p holds what
    // arrives (and aborts the stream past its 4 MiB read buffer), and hands
    // it over when the listener is added.
    if (!(await this.waitAdmitted(remote))) {
      this.drop("not_admitted", remote);
      this.logger.warn({ peer: remote }, "raft transport: refused stream from a peer that is not admitted");
      stream.abort(new Error("not admitted to this committee"));
      return;
    }
    if (!this.running || stream.status !== "open") {
      stream.abort(new Error("raft transport stopped or stream closed during admission"));
      return;
    }
    // A reconnecting peer opens a fresh stream; the old one is dead weight.
    const old = this.inbound.get(remote);
    if (old && old !== stream) old.abort(new Error("superseded by a newer stream"));
    this.inbound.set(remote, stream);
    const decoder = new FrameDecoder(this.cfg.maxFrameBytes);
    const onMessage = (evt: { data: Uint8Array | Iterable<Uint8Array> }): void => {
      let frames: Uint8Array[];
      try {
        frames = decoder.push(evt.data);
      } catch (err) {
        this.drop("malformed", remote);
        this.logger.warn({ peer: remote, err: describeError(err) }, "raft transport: malformed stream from peer; closing it");
        stream.abort(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (const frame of frames) this.acceptFrame(remote, frame);
    };
    stream.addEventListener("message", onMessage);
    stream.addEventListener("close", () => {
      stream.removeEventListener("message", onMessage);
      if (this.inbound.get(remote) === stream) this.inbound.delete(remote);
    });
  }

  private acceptFrame(remote: string, frame: Uint8Array): void {
    if (!this.running) return;
    hop?.("tx.frameIn", frame.length);
    this.opts.metrics?.inc(M.frames, { direction: "in" });
    this.opts.metrics?.inc(M.bytes, { direction: "in" }, frame.length);
    // Admission ends when the peer disconnects; a frame racing that is not delivered.
    if (!this.opts.admission.isAdmitted(remote)) {
      this.drop("not_admitted", remote);
      return;
    }
    this.deliverFrame(remote, frame);
  }

  private deliverFrame(remote: string, frame: Uint8Array): void {
    let parts: Uint8Array[];
    try {
      parts = decodeBatch(frame, this.cfg.maxMessageBytes);
    } catch (err) {
      this.drop("malformed", remote);
      this.logger.warn({ peer: remote, err: describeError(err) }, "raft transport: malformed frame dropped");
      return;
    }
    this.opts.metrics?.inc(M.messages, { direction: "in" }, parts.length);
    for (const bytes of parts) {
      let msg: Message;
      try {
        msg = decodeMessage(bytes, { maxBytes: this.cfg.maxMessageBytes, shareInput: true });
      } catch (err) {
        this.drop("malformed", remote);
        this.logger.warn({ peer: remote, err: describeError(err) }, "raft transport: malformed message dropped");
        continue;
      }
      if (msg.from !== remote) {
        this.drop("spoofed", remote);
        this.logger.warn({ peer: remote, claimed: msg.from }, "raft transport: message claims another sender; dropped");
        continue;
      }
      if (msg.to !== this.selfId) {
        this.drop("misrouted", remote);
        continue;
      }
      if (this.messageHandler === null) {
        this.drop("no_handler", remote);
        continue;
      }
      try {
        this.messageHandler(msg);
      } catch (err) {
        this.logger.error({ peer: remote, type: msg.type, err: describeError(err) }, "raft transport: message handler threw");
      }
    }
  }

  private waitAdmitted(peer: string): Promise<boolean> {
    const gate = this.opts.admission;
    if (gate.isAdmitted(peer)) return Promise.resolve(true);
    // The dialer may finish its side of the handshake a moment before we
    // record ours: wait for the event rather than drop its first frames.
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        gate.off("admitted", listener);
        resolve(ok);
      };
      const listener = (p: { peerId: string }): void => {
        if (p.peerId === peer) done(true);
      };
      const timer = setTimeout(() => done(gate.isAdmitted(peer)), this.cfg.admissionWaitMs);
      gate.on("admitted", listener);
    });
  }
}

/** One outbound stream to one peer, with its queue and reconnect state. */
class PeerLink {
  private readonly queue: SendQueue;
  /** The open stream we write to: frames go out with their length prefix in one buffer (see encodeFramedBatch); the peer splits them with FrameDecoder. */
  private lp: Stream | null = null;
  private stream: Stream | null = null;
  private connecting = false;
  private writing = false;
  private flushScheduled = false;
  private backoffMs: number;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly t: Libp2pRaftTransport,
    readonly peer: NodeId,
  ) {
    this.queue = new SendQueue({ maxMessages: t.cfg.maxMessages, maxBytes: t.cfg.maxBytes });
    this.backoffMs = t.cfg.initialMs;
  }

  isOpen(): boolean {
    return this.lp !== null;
  }

  enqueue(bytes: Uint8Array, droppable: boolean): void {
    this.t.drop("queue_full", this.peer, this.queue.push({ bytes, droppable }));
  }

  /** Starts sending what is queued: writes now if the stream is idle, else connects (lazily, respecting backoff). */
  kick(): void {
    if (this.lp !== null) {
      if (!this.writing) void this.flush();
    } else if (!this.connecting && this.retryTimer === null) {
      void this.connect();
    }
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stream?.abort(new Error("raft transport stopped"));
    this.stream = null;
    this.lp = null;
    this.queue.clear();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.writing) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.lp !== null && this.queue.length > 0) {
        // Frame = 1 version byte + count varint (≤ 5) + per message a length varint (≤ 5) and the message.
        const batch = this.queue.take(this.t.cfg.maxFrameBytes - 6, 5, MAX_BATCH_MESSAGES);
        const frame = encodeFramedBatch(batch);
        const lp = this.lp;
        try {
          hop?.("tx.writeStart", frame.length);
          // send() queues in the muxer and says whether it wants us to wait for 'drain'.
          if (!lp.send(frame)) await drained(lp);
          hop?.("tx.writeDone", frame.length);
        } catch (err) {
          this.fail(err, batch.length);
          return;
        }
        const m = this.t.opts.metrics;
        m?.inc(M.frames, { direction: "out" });
        m?.inc(M.messages, { direction: "out" }, batch.length);
        m?.inc(M.bytes, { direction: "out" }, frame.length);
      }
    } finally {
      this.writing = false;
    }
  }

  private async connect(): Promise<void> {
    if (this.closed || !this.t.isRunning) return;
    this.connecting = true;
    const libp2p = this.t.opts.libp2p;
    try {
      const peerId = peerIdFromString(this.peer);
      if (!this.t.opts.admission.isAdmitted(this.peer)) {
        try {
          await this.t.opts.admission.admit(peerId);
        } catch (err) {
          // A refusal for cause (wrong secret, other GroupId, attestation) is not a network blip: count it apart.
          const temporary = (err as { temporary?: unknown }).temporary === true;
          if (!temporary) this.t.drop("peer_refused", this.peer, this.queue.clear());
          throw err;
        }
      }
      const stream = await libp2p.dialProtocol(peerId, this.t.protocol, { signal: AbortSignal.timeout(5000) });
      if (this.closed) {
        stream.abort(new Error("raft transport stopped"));
        return;
      }
      this.stream = stream;
      this.lp = stream;
      this.backoffMs = this.t.cfg.initialMs;
      stream.addEventListener("close", () => {
        if (this.stream === stream) this.fail(new Error("stream closed"), 0);
      });
      this.t.logger.debug({ peer: this.peer }, "raft transport: stream open");
      this.scheduleFlush();
    } catch (err) {
      this.fail(err, 0);
    } finally {
      this.connecting = false;
    }
  }

  private fail(err: unknown, inFlight: number): void {
    if (this.closed) return;
    this.stream?.abort(err instanceof Error ? err : new Error(String(err)));
    this.stream = null;
    this.lp = null;
    // What was queued for a dead stream is stale by the time it reopens.
    this.t.drop("unreachable", this.peer, inFlight + this.queue.clear());
    this.t.logger.debug({ peer: this.peer, err: describeError(err), retryMs: this.backoffMs }, "raft transport: peer unreachable");
    this.t.reportUnreachable(this.peer);
    if (this.retryTimer !== null) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.t.cfg.maxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      // Reconnect lazily: only when Raft has something to say to this peer.
      if (this.queue.length > 0 && this.lp === null && !this.connecting) void this.connect();
    }, delay);
    this.retryTimer.unref?.();
  }
}

/** Resolves at the stream's next 'drain'; rejects if it closes first. */
function drained(stream: Stream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      stream.removeEventListener("close", onClose);
      resolve();
    };
    const onClose = (evt: { error?: Error }): void => {
      stream.removeEventListener("drain", onDrain);
      reject(evt.error ?? new Error("raft stream closed while waiting to write"));
    };
    stream.addEventListener("drain", onDrain, { once: true });
    stream.addEventListener("close", onClose, { once: true });
  });
}
