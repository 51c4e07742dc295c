// Discovery over `/lattice/discovery/1.0.0`: a pull-push gossip of signed
// announcements. Every exchange sends everything we know and merges what
// comes back, so from one bootstrap address each member learns the whole
// committee within a few rounds; a departed peer stops refreshing its
// announcement and is forgotten once it expires.
import { EventEmitter } from "node:events";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import type { PeerId } from "@libp2p/interface";
import type { LatticeHost } from "../host.js";
import { NetError, describeError } from "../errors.js";
import { framed } from "../framing.js";
import { NET_METRICS } from "../metrics.js";
import { WireReader, WireWriter } from "../wire.js";
import {
  decodeSignedAnnouncement,
  encodeSignedAnnouncement,
  signAnnouncement,
  verifyAnnouncement,
  type SignedAnnouncement,
} from "./announcement.js";
import { AnnouncementTable } from "./table.js";

export const DISCOVERY_PROTOCOL = "/lattice/discovery/1.0.0";
/** Announcements per exchange message; a lattice has tens of members, not thousands. */
export const MAX_ANNOUNCEMENTS_PER_MESSAGE = 512;
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface DiscoveryOptions {
  host: LatticeHost;
  /** GroupIds / collection ids this node serves. */
  provides?: Uint8Array[];
  /** Lifetime of our announcement; others forget us this long after we stop. */
  ttlMs?: number;
  /** How often we re-sign our announcement; must be well under ttlMs. */
  refreshMs?: number;
  /** Gossip round period. */
  exchangeIntervalMs?: number;
  /** Known peers contacted per round besides the bootstrap addresses. */
  fanout?: number;
  exchangeTimeoutMs?: number;
  nowMs?: () => number;
}

export interface DiscoveredPeer {
  peerId: string;
  addrs: string[];
  provides: Uint8Array[];
  expiresAt: number;
}

export interface DiscoveryEvents {
  "peer:added": [DiscoveredPeer];
  "peer:updated": [DiscoveredPeer];
  "peer:removed": [string];
  change: [];
}

export class Discovery extends EventEmitter<DiscoveryEvents> {
  private readonly table: AnnouncementTable;
  private readonly ttlMs: number;
  private readonly refreshMs: number;
  private readonly intervalMs: number;
  private readonly fanout: number;
  private readonly exchangeTimeoutMs: number;
  private readonly now: () => number;
  private provides: Uint8Array[];
  private seq = 0n;
  private lastRefresh = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  /** Targets with an exchange under way (at most one each). */
  private readonly inflight = new Set<string>();
  private running = false;

  constructor(private readonly opts: DiscoveryOptions) {
    super();
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.refreshMs = opts.refreshMs ?? Math.floor(this.ttlMs / 3);
    this.intervalMs = opts.exchangeIntervalMs ?? 5_000;
    this.fanout = opts.fanout ?? 3;
    this.exchangeTimeoutMs = opts.exchangeTimeoutMs ?? 3_000;
    this.now = opts.nowMs ?? Date.now;
    this.provides = opts.provides ?? [];
    // Relayed copies of our announcement may be up to ttlMs old; allow slack for clock skew.
    this.table = new AnnouncementTable(opts.host.libp2p.peerId.toString(), 2 * this.ttlMs);
  }

  get selfId(): string {
    return this.opts.host.libp2p.peerId.toString();
  }

  async start(): Promise<void> {
    this.running = true;
    await this.opts.host.libp2p.handle(DISCOVERY_PROTOCOL, async (stream) => {
      const f = framed(stream, MAX_MESSAGE_BYTES, this.opts.host.metrics);
      try {
        const signal = AbortSignal.timeout(this.exchangeTimeoutMs);
        const theirs = decodeList(await f.read({ signal }));
        // Reply with what we knew before merging: the initiator already has its own list.
        const ours = encodeList(this.table.all());
        // Merge before finishing the stream, so a slow or aborted close still teaches us.
        await this.merge(theirs);
        await f.write(ours, { signal });
        await stream.close({ signal });
      } catch (err) {
        this.opts.host.logger.debug({ detail: describeError(err) }, "discovery: inbound exchange failed");
        stream.abort(err instanceof Error ? err : new Error(String(err)));
      }
    });
    await this.refresh();
    this.round();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.opts.host.libp2p.unhandle(DISCOVERY_PROTOCOL);
  }

  /** Replaces what we provide and re-announces at once. */
  async setProvides(ids: Uint8Array[]): Promise<void> {
    this.provides = ids;
    await this.refresh();
  }

  peers(): DiscoveredPeer[] {
    return this.table.peers().map(toPeer);
  }

  providers(id: Uint8Array): string[] {
    return this.table.providers(id);
  }

  /** One exchange with `target`; rounds call this, and so may callers wanting fresh state now. */
  async exchangeWith(target: PeerId | Multiaddr): Promise<void> {
    const signal = AbortSignal.timeout(this.exchangeTimeoutMs);
    const stream = await this.opts.host.libp2p.dialProtocol(target, DISCOVERY_PROTOCOL, { signal });
    const f = framed(stream, MAX_MESSAGE_BYTES, this.opts.host.metrics);
    try {
      await f.write(encodeList(this.table.all()), { signal });
      await this.merge(decodeList(await f.read({ signal })));
      await stream.close({ signal });
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  // Rounds never wait on exchanges: one unreachable peer (a dial hanging
  // until its timeout) must not delay gossip with everyone else, nor our own
  // refresh, or live peers' announcements would expire under us.
  private round(): void {
    if (!this.running) return;
    this.sweep();
    if (this.now() - this.lastRefresh >= this.refreshMs) {
      this.refresh().catch((err: unknown) =>
        this.opts.host.logger.warn({ detail: describeError(err) }, "discovery: refreshing our announcement failed"),
      );
    }
    for (const t of this.targets()) {
      const key = t.toString();
      if (this.inflight.has(key)) continue;
      this.inflight.add(key);
      this.exchangeWith(t)
        .catch((err: unknown) => this.opts.host.logger.debug({ target: key, detail: describeError(err) }, "discovery: exchange failed"))
        .finally(() => this.inflight.delete(key));
    }
    this.timer = setTimeout(() => this.round(), this.intervalMs);
  }

  private targets(): Array<PeerId | Multiaddr> {
    const self = this.selfId;
    const out: Array<PeerId | Multiaddr> = this.opts.host.bootstrap.filter((ma) => !ma.toString().endsWith(`/p2p/${self}`));
    const known = this.table.peers();
    // Partial Fisher–Yates: a random `fanout` of the known peers.
    for (let i = 0; i < Math.min(this.fanout, known.length); i++) {
      const j = i + Math.floor(Math.random() * (known.length - i));
      [known[i], known[j]] = [known[j]!, known[i]!];
      out.push(peerIdFromString(known[i]!.announcement.peerId));
    }
    return out;
  }

  private async refresh(): Promise<void> {
    const now = this.now();
    // Wall-clock seeding keeps a restarted peer's seq above its previous run's.
    this.seq = this.seq + 1n > BigInt(now) ? this.seq + 1n : BigInt(now);
    const signed = await signAnnouncement(this.opts.host.privateKey, {
      peerId: this.selfId,
      addrs: this.opts.host.libp2p.getMultiaddrs().map(String).slice(0, 16),
      provides: this.provides,
      seq: this.seq,
      expiresAt: now + this.ttlMs,
    });
    this.table.upsert(signed, now);
    this.lastRefresh = now;
  }

  private sweep(): void {
    const removed = this.table.expire(this.now()).filter((id) => id !== this.selfId);
    for (const id of removed) {
      this.opts.host.logger.info({ peer: id }, "discovery: peer expired");
      this.emit("peer:removed", id);
    }
    if (removed.length > 0) this.changed();
  }

  private async merge(list: SignedAnnouncement[]): Promise<void> {
    let changed = false;
    for (const s of list) {
      const outcome = this.table.classify(s, this.now());
      if (outcome !== "added" && outcome !== "updated") continue;
      if (s.announcement.peerId === this.selfId) continue; // only we sign for ourselves
      if (!(await verifyAnnouncement(s))) {
        this.opts.host.logger.warn({ peer: s.announcement.peerId }, "discovery: announcement with a bad signature dropped");
        continue;
      }
      const previousAddrs = this.table.get(s.announcement.peerId)?.announcement.addrs;
      const result = this.table.upsert(s, this.now());
      if (result !== "added" && result !== "updated") continue;
      changed = true;
      const peer = toPeer(s);
      // Refreshes mostly repeat the same addresses; peer store writes are not free, so skip those.
      if (previousAddrs === undefined || previousAddrs.join() !== peer.addrs.join()) {
        await this.opts.host.libp2p.peerStore
          .merge(peerIdFromString(peer.peerId), { multiaddrs: peer.addrs.map((a) => multiaddr(a)) })
          .catch(() => {});
      }
      if (result === "added") this.opts.host.logger.info({ peer: peer.peerId }, "discovery: peer found");
      this.emit(result === "added" ? "peer:added" : "peer:updated", peer);
    }
    if (changed) this.changed();
  }

  private changed(): void {
    this.opts.host.metrics?.set(NET_METRICS.discoveryPeers, this.table.peers().length);
    this.emit("change");
  }
}

function toPeer(s: SignedAnnouncement): DiscoveredPeer {
  const a = s.announcement;
  return { peerId: a.peerId, addrs: a.addrs, provides: a.provides, expiresAt: a.expiresAt };
}

export function encodeList(list: SignedAnnouncement[]): Uint8Array {
  const w = new WireWriter().u16(Math.min(list.length, MAX_ANNOUNCEMENTS_PER_MESSAGE));
  for (const s of list.slice(0, MAX_ANNOUNCEMENTS_PER_MESSAGE)) w.bytes16(encodeSignedAnnouncement(s));
  return w.finish();
}

export function decodeList(buf: Uint8Array): SignedAnnouncement[] {
  const r = new WireReader(buf, "DiscoveryList");
  const n = r.u16("count");
  if (n > MAX_ANNOUNCEMENTS_PER_MESSAGE) {
    throw new NetError("NET_DECODE", `DiscoveryList: ${n} announcements; at most ${MAX_ANNOUNCEMENTS_PER_MESSAGE} per message.`, {
      fields: { message: "DiscoveryList", field: "count", value: n, max: MAX_ANNOUNCEMENTS_PER_MESSAGE },
    });
  }
  const out: SignedAnnouncement[] = [];
  for (let i = 0; i < n; i++) out.push(decodeSignedAnnouncement(r.bytes16("announcement", 65_535)));
  r.end();
  return out;
}
