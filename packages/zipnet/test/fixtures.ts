// Shared test world: real X25519 keys, real ratchets, a real machine. Seeded
// so any failure replays.
import { createHash } from "node:crypto";
import {
  Aggregator,
  ClientScheduler,
  PadRatchet,
  ZipnetMachine,
  clientIdOf,
  computePartial,
  encodeCommand,
  epochOfRound,
  firstRoundOfEpoch,
  serverIdOf,
  sealEnvelope,
  sharedSecret,
  signEpochKey,
  signingKeyFromSeed,
  x25519FromSecret,
  type ApplyResult,
  type BroadcastRecord,
  type ClientEnvelope,
  type Command,
  type LiveRound,
  type PadContext,
  type EnvelopeRateLimiter,
  type Rng,
  type RoundParams,
  type ServerEpochKey,
  type SigningKeyPair,
  type X25519KeyPair,
} from "../src/index.js";

export function seededRng(seed: string): Rng {
  let counter = 0;
  const block = () => createHash("sha256").update(seed).update(String(counter++)).digest();
  return {
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let o = 0; o < n; o += 32) out.set(block().subarray(0, Math.min(32, n - o)), o);
      return out;
    },
    int(n: number): number {
      return block().readUInt32LE(0) % n;
    },
  };
}

export const GROUP_ID = new Uint8Array(createHash("sha256").update("test-zipnet-group").digest());

export function keyPair(label: string): X25519KeyPair {
  return x25519FromSecret(new Uint8Array(createHash("sha256").update(label).digest()));
}

/** A deterministic server signing (identity) key. */
export function signingKeyOf(label: string): SigningKeyPair {
  return signingKeyFromSeed(new Uint8Array(createHash("sha256").update(`signing/${label}`).digest()));
}

/** An announcement of `publicKey` as server `s`'s key for `epoch`, signed by `s`. */
export function signedEpochKey(s: { id: string; kp: SigningKeyPair }, epoch: number, publicKey: Uint8Array): ServerEpochKey {
  return { server: s.id, epoch, publicKey, signature: signEpochKey(s.kp.privateKey, { server: s.id, epoch, publicKey }) };
}

export interface TestClient {
  readonly id: string;
  readonly kp: X25519KeyPair;
  readonly scheduler: ClientScheduler;
  readonly ratchets: Map<string, PadRatchet>;
}
export interface TestServer {
  readonly id: string;
  /** Identity key: names the server (its id) and signs its epoch keys, never used for pads. */
  readonly kp: SigningKeyPair;
  readonly label: string;
  /** This epoch's chains, by client. */
  readonly ratchets: Map<string, PadRatchet>;
}

/** A server's key of one epoch, deterministic so failures replay. */
export const epochKeyOf = (s: TestServer, epoch: number): X25519KeyPair => keyPair(`${s.label}/epoch-${epoch}`);

/**
 * Servers, clients and a committee machine driven by apply() directly (no
 * network). Servers announce a key per epoch (before its first round) and both
 * sides derive that epoch's chains from it, as the nodes do.
 */
export class World {
  readonly servers: TestServer[];
  readonly clients: TestClient[];
  readonly machine = new ZipnetMachine();
  /** Every command applied, in order: replayable into other machines. */
  readonly log: Uint8Array[] = [];
  private index = 0;
  private ratchetsEpoch: number | null = null;

  constructor(
    readonly params: RoundParams,
    nServers: number,
    nClients: number,
    readonly rng: Rng = seededRng("world"),
  ) {
    this.servers = Array.from({ length: nServers }, (_, i) => {
      const kp = signingKeyOf(`server-${i}`);
      return { id: serverIdOf(kp.publicKey), kp, label: `server-${i}`, ratchets: new Map() };
    }).sort((a, b) => (a.id < b.id ? -1 : 1));
    this.clients = Array.from({ length: nClients }, (_, i) => {
      const kp = keyPair(`client-${i}`);
      return { id: clientIdOf(kp.publicKey), kp, scheduler: new ClientScheduler(), ratchets: new Map() };
    });
    for (const s of this.servers) this.expectAccepted({ type: "registerServer", server: { id: s.id, publicKey: s.kp.publicKey } });
    this.announce(0);
    for (const c of this.clients) this.expectAccepted({ type: "registerClient", client: { id: c.id, publicKey: c.kp.publicKey } });
  }

  /** Every server announces its key for `epoch` (the machine takes only the epoch after the live one). */
  announce(epoch: number): void {
    for (const s of this.servers) {
      if (this.machine.serverEpochKeys(epoch).some((k) => k.server === s.id)) continue;
      this.expectAccepted({ type: "announceServerKey", key: signedEpochKey(s, epoch, epochKeyOf(s, epoch).publicKey) });
    }
  }

  epochOf(round: number): number {
    return epochOfRound(round, this.params.roundPeriodMs);
  }

  /** Both sides' chains for the round's epoch, from the epoch keys (old ones zeroed). */
  private chainsFor(live: LiveRound): void {
    const epoch = this.epochOf(live.round);
    if (this.ratchetsEpoch === epoch) return;
    this.ratchetsEpoch = epoch;
    const startRound = firstRoundOfEpoch(epoch, this.params.roundPeriodMs);
    for (const s of this.servers) {
      const ek = epochKeyOf(s, epoch);
      for (const c of this.clients) {
        const at = { groupId: GROUP_ID, clientId: c.id, serverId: s.id, epoch, startRound };
        c.ratchets.get(s.id)?.destroy();
        s.ratchets.get(c.id)?.destroy();
        c.ratchets.set(s.id, PadRatchet.forEpoch(sharedSecret(c.kp.privateKey, ek.publicKey), at));
        s.ratchets.set(c.id, PadRatchet.forEpoch(sharedSecret(ek.privateKey, c.kp.publicKey), at));
      }
    }
  }

  apply(cmd: Command | Uint8Array): ApplyResult {
    const bytes = cmd instanceof Uint8Array ? cmd : encodeCommand(cmd);
    this.log.push(bytes);
    return this.machine.apply(bytes, { index: ++this.index, term: 1 });
  }

  expectAccepted(cmd: Command): ApplyResult {
    const r = this.apply(cmd);
    if (r.status !== "accepted") throw new Error(`expected accepted, got ${JSON.stringify(r)}`);
    return r;
  }

  /** The LiveRound of `round`; announces the epoch's keys first when it is the next epoch. */
  live(round: number): LiveRound {
    const epoch = this.epochOf(round);
    if (epoch === this.machine.liveEpoch() + 1) this.announce(epoch);
    return {
      round,
      slot: 100 + Math.floor(round / 4),
      lastInSlot: round % 4 === 3,
      clients: this.clients.map((c) => c.id).sort(),
      servers: this.servers.map((s) => ({ id: s.id, publicKey: epochKeyOf(s, epoch).publicKey })),
      params: this.params,
    };
  }

  ctx(live: LiveRound, clientId: string, serverId: string): PadContext {
    return { groupId: GROUP_ID, round: live.round, slot: live.slot, params: live.params, clientId, serverId };
  }

  /** Every client observes the previous round's outcome, plans and seals this round. */
  seal(live: LiveRound, previous: BroadcastRecord | null): ClientEnvelope[] {
    this.chainsFor(live);
    return this.clients.map((c) => {
      if (previous && previous.round === live.round - 1) c.scheduler.observe(previous, this.params, this.rng);
      else c.scheduler.roundFailed(live.round - 1);
      const plan = c.scheduler.plan(live.round, this.params, this.rng);
      const padKeys = this.servers.map((s) => c.ratchets.get(s.id)!.padKey(this.ctx(live, c.id, s.id)));
      return sealEnvelope({ clientId: c.id, params: this.params, plan, padKeys });
    });
  }

  fold(live: LiveRound, envelopes: readonly ClientEnvelope[], limiter: EnvelopeRateLimiter | null = null) {
    const agg = new Aggregator(live, limiter);
    for (const e of envelopes) agg.offer(e);
    const closed = agg.close();
    if (!closed.ok) throw new Error(`fold failed: ${closed.reason}`);
    return closed.aggregate;
  }

  partials(live: LiveRound, aggregate: { round: number; participants: readonly string[]; vector: Uint8Array }) {
    this.chainsFor(live);
    return Promise.all(
      this.servers.map((s) =>
        computePartial({
          aggregate,
          serverId: s.id,
          padKeyFor: (c) => s.ratchets.get(c)!.padKey(this.ctx(live, c, s.id)),
        }),
      ),
    );
  }

  /** One full round; returns the record (null if it did not finalize). */
  async round(round: number): Promise<BroadcastRecord | null> {
    const live = this.live(round);
    this.expectAccepted({ type: "openRound", live });
    const prev = this.machine.broadcasts(round - 1)[0] ?? null;
    const aggregate = this.fold(live, this.seal(live, prev));
    this.expectAccepted({ type: "submitAggregate", aggregate });
    let record: BroadcastRecord | null = null;
    for (const partial of await this.partials(live, aggregate)) {
      const r = this.expectAccepted({ type: "submitPartial", partial });
      if (r.status === "accepted" && r.finalized) record = r.finalized;
    }
    return record;
  }
}

export function txOf(label: string): Uint8Array {
  const body = createHash("sha256").update(label).digest();
  // A plausible EIP-2718 typed envelope: type byte 0x02 then opaque payload.
  return new Uint8Array([0x02, ...body, ...body.subarray(0, 7)]);
}
