// A server's partial: the XOR of its pads over EXACTLY the aggregate's
// participants. The fused pass encrypts the accumulator through each client's
// AES-128-CTR cipher (cipher.update(acc) = acc ⊕ pad, natively), so there is
// no JS loop over bytes. Cost: one keystream pass per participant over the
// vector plus a createCipheriv (~1–2 µs); large rounds shard across
// worker_threads (UnblindPool), each shard fused the same way, and the main
// thread XORs the shard results (one Uint32 pass per shard).
import { createCipheriv } from "node:crypto";
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { xorInto } from "../bytes.js";
import { ZipnetError } from "../errors.js";
import { participantsHash, type AggregateEnvelope, type ClientId, type PartialUnblind, type ServerId } from "../proto.js";
import type { PadKey } from "./keys.js";
import { UNBLIND_WORKER_SOURCE } from "./unblind-worker.js";

export function unblindPartial(keys: readonly PadKey[], vectorBytes: number): Uint8Array {
  let acc: Uint8Array = new Uint8Array(vectorBytes);
  for (const k of keys) acc = createCipheriv("aes-128-ctr", k.key, k.iv).update(acc);
  return own(acc);
}

/** A view that owns its whole ArrayBuffer, so it can be transferred or kept without pinning a shared slab. */
function own(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength
    ? new Uint8Array(b.buffer, 0, b.byteLength)
    : b.slice();
}

/** Key+IV packed 32 bytes per participant: what crosses to a worker. */
export function packKeys(keys: readonly PadKey[]): Uint8Array {
  const out = new Uint8Array(keys.length * 32);
  keys.forEach((k, i) => {
    out.set(k.key, i * 32);
    out.set(k.iv, i * 32 + 16);
  });
  return out;
}

export function unblindPacked(packed: Uint8Array, vectorBytes: number): Uint8Array {
  let acc: Uint8Array = new Uint8Array(vectorBytes);
  for (let o = 0; o < packed.length; o += 32) {
    acc = createCipheriv("aes-128-ctr", packed.subarray(o, o + 16), packed.subarray(o + 16, o + 32)).update(acc);
  }
  return own(acc);
}

/**
 * Bytes of keystream (participants × vector) above which sharding over worker
 * threads pays for the message round trip. Measured with
 * bench/src/zipnet.bench.ts on 2 cores under a load average of 10–20 (four
 * runs): at ≤ 2 MiB one thread won every time; at 4–16 MiB the winner
 * flipped between runs, the pool winning most often. NB: re-measure idle.
 */
export const WORKER_CROSSOVER_BYTES = 8 * 1024 * 1024;

export function shouldUseWorkers(participants: number, vectorBytes: number, threads: number): boolean {
  return threads > 1 && participants >= 2 * threads && participants * vectorBytes >= WORKER_CROSSOVER_BYTES;
}

interface Job {
  resolve: (v: Uint8Array) => void;
  reject: (e: Error) => void;
}

/** A fixed pool of unblinding workers; one shard per worker per call. */
export class UnblindPool {
  private readonly workers: Worker[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextJob = 1;
  private closed = false;

  constructor(readonly threads: number = Math.max(1, availableParallelism())) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(UNBLIND_WORKER_SOURCE, { eval: true });
      w.on("message", (m: { id: number; vector?: Uint8Array; error?: string }) => {
        const job = this.jobs.get(m.id);
        if (!job) return;
        this.jobs.delete(m.id);
        if (m.vector) job.resolve(m.vector);
        else job.reject(new ZipnetError("ZIPNET_UNBLIND_WORKER", `unblind worker failed: ${m.error ?? "no result"}`));
      });
      w.on("error", (e) => this.failAll(e));
      this.workers.push(w);
    }
  }

  private failAll(e: Error): void {
    for (const job of this.jobs.values()) job.reject(new ZipnetError("ZIPNET_UNBLIND_WORKER", `unblind worker crashed: ${e.message}`));
    this.jobs.clear();
  }

  private run(worker: Worker, packed: Uint8Array, vectorBytes: number): Promise<Uint8Array> {
    const id = this.nextJob++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      worker.postMessage({ id, packed, vectorBytes }, [packed.buffer as ArrayBuffer]);
    });
  }

  async unblind(keys: readonly PadKey[], vectorBytes: number): Promise<Uint8Array> {
    if (this.closed) throw new ZipnetError("ZIPNET_UNBLIND_WORKER", "UnblindPool is closed.");
    const shards = Math.min(this.workers.length, keys.length);
    if (shards === 0) return new Uint8Array(vectorBytes);
    const per = Math.ceil(keys.length / shards);
    const parts = await Promise.all(
      this.workers.slice(0, shards).map((w, i) => this.run(w, packKeys(keys.slice(i * per, (i + 1) * per)), vectorBytes)),
    );
    const acc = parts[0]!;
    for (const p of parts.slice(1)) xorInto(acc, p);
    return acc;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new Error("pool closed"));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The server's SubmitPartial payload for an aggregate, pad keys looked up per participant. */
export async function computePartial(a: {
  aggregate: AggregateEnvelope;
  serverId: ServerId;
  padKeyFor: (client: ClientId) => PadKey;
  pool?: UnblindPool | null;
}): Promise<PartialUnblind> {
  const n = a.aggregate.vector.length;
  const keys = a.aggregate.participants.map(a.padKeyFor);
  const vector =
    a.pool && shouldUseWorkers(keys.length, n, a.pool.threads) ? await a.pool.unblind(keys, n) : unblindPartial(keys, n);
  return { round: a.aggregate.round, serverId: a.serverId, participantsHash: participantsHash(a.aggregate.participants), vector };
}
