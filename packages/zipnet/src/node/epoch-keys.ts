// A server's pad key material on disk and in memory (docs/adr/0006):
// - the private key of each announced future epoch, in its own file, until
//   that epoch opens;
// - the pad chains of the live epoch (one per admitted client), derived from
//   that key when the epoch opens, after which the key is zeroed and its file
//   deleted; persisted after every round at the first round not yet served.
// So once this server has served round r and moved on, nothing it holds —
// files or memory — can re-derive r's pads.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { join } from "node:path";
import type { NetLogger } from "@builder/net";
import { decodeChainState, encodeChainState } from "../core/chain-state.js";
import { decodeEpochKeyFile, encodeEpochKeyFile } from "../core/epoch-key-file.js";
import { PadRatchet, sharedSecret, type RatchetState } from "../core/keys.js";
import { bytesEqual } from "../bytes.js";
import { ZipnetError } from "../errors.js";
import { X25519_KEY_BYTES, type ClientId, type ClientInfo, type ServerId } from "../proto.js";
import { describeError } from "./describe.js";

export const EPOCH_KEYS_DIR = "zipnet-keys";
const CHAINS_FILE = "chains.bin";
const keyFileName = (epoch: number): string => `epoch-${epoch}.key`;
const KEY_FILE = /^epoch-(\d+)\.key$/;

// RFC 8410 framings of a raw X25519 key (as in core/keys.ts).
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/** How many clients to derive between yields: ~35 µs each, so a slice stays near 2 ms of the event loop. */
const DERIVE_SLICE = 64;

export interface ServerEpochKeysOptions {
  /** The server's data dir; the keys live in `<dataDir>/zipnet-keys` (0700, files 0600). */
  readonly dataDir: string;
  readonly groupId: Uint8Array;
  readonly serverId: ServerId;
  readonly logger: NetLogger;
}

/**
 * What the live epoch's chains are for this server: ready; sitting the epoch
 * out (no key material for it); or behind (the log being replayed is still
 * in an epoch before the chains held, e.g. right after a restart).
 */
export type EpochReadiness = "ready" | "sitting_out" | "behind";

export interface EpochKeysSecretsForTest {
  /** Raw private scalars of epoch key files still on disk, read from disk (by epoch). */
  readonly keyFiles: ReadonlyMap<number, Uint8Array>;
  /** Every file in the keys directory, raw. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** In-memory chains (copies), with the epoch they belong to. */
  readonly chains: readonly RatchetState[];
  readonly chainsEpoch: number | null;
}

export class ServerEpochKeys {
  private chains = new Map<ClientId, PadRatchet>();
  private epoch: number | null = null;
  /** Public keys of epochs generated or loaded here (not secret; for the announcement). */
  private publicKeys = new Map<number, Uint8Array>();
  private sittingOut: number | null = null;
  /** Serialises every disk step: derivation, persistence and key generation never interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly o: ServerEpochKeysOptions,
  ) {}

  /** Creates the directory and resumes the persisted chains, if any. */
  static async open(o: ServerEpochKeysOptions): Promise<ServerEpochKeys> {
    const dir = join(o.dataDir, EPOCH_KEYS_DIR);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const k = new ServerEpochKeys(dir, o);
    for (const name of await readdir(dir)) if (name.endsWith(".tmp")) await rm(join(dir, name), { force: true });
    const bytes = await readSecretFile(join(dir, CHAINS_FILE));
    if (bytes) {
      try {
        const s = decodeChainState(bytes);
        if (s.serverId !== o.serverId) {
          throw new ZipnetError("ZIPNET_KEY_INVALID", "the chain-state file belongs to another server.", { expected: o.serverId, got: s.serverId, file: join(dir, CHAINS_FILE) });
        }
        k.epoch = s.epoch;
        for (const c of s.chains) {
          k.chains.set(c.clientId, PadRatchet.fromState(c, { groupId: o.groupId, serverId: o.serverId }));
          c.chain.fill(0);
        }
      } finally {
        bytes.fill(0);
      }
    }
    // A crash between persisting an epoch's chains and erasing its key left the key behind.
    if (k.epoch !== null) await k.eraseStaleKeyFiles(k.epoch);
    return k;
  }

  /** Epoch of the chains held (null when none). */
  get chainsEpoch(): number | null {
    return this.epoch;
  }

  /** The chain of a client for the live epoch, if this server holds it. */
  ratchet(client: ClientId): PadRatchet | undefined {
    return this.chains.get(client);
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * The public key of a future epoch: from its file, or freshly generated and
   * durably written before it is returned (the caller announces it after).
   */
  publicKeyFor(epoch: number): Promise<Uint8Array> {
    return this.serial(async () => {
      const known = this.publicKeys.get(epoch);
      if (known) return known;
      let secret = await this.readKeyFile(epoch);
      if (!secret) {
        if (this.epoch !== null && epoch <= this.epoch) {
          throw new ZipnetError("ZIPNET_KEY_INVALID", "refusing to create a key for an epoch this server already entered.", { epoch, chainsEpoch: this.epoch });
        }
        secret = new Uint8Array(randomBytes(X25519_KEY_BYTES));
        const file = encodeEpochKeyFile({ epoch, secret });
        await this.writeAtomic(keyFileName(epoch), file);
        file.fill(0);
      }
      const pk = withPrivateKey(secret, (priv) => rawPublic(createPublicKey(priv)));
      secret.fill(0);
      this.publicKeys.set(epoch, pk);
      return pk;
    });
  }

  /**
   * Brings the chains to round `round` of `epoch`. Entering a new epoch derives
   * the chains of `clients` (the machine's clientsAdmitted(epoch)) from the
   * epoch's key file, persists them, then zeroes the key and deletes its file.
   * Every chain is advanced to `round` (earlier rounds' keys erased) and, if
   * anything changed, persisted. Sits the epoch out when its key is gone.
   */
  enter(a: {
    epoch: number;
    round: number;
    firstRound: number;
    clients: readonly ClientInfo[];
    /** Our key as the LiveRound lists it: a key file that does not match it (lost and regenerated) is not used. */
    publicKey?: Uint8Array;
  }): Promise<EpochReadiness> {
    return this.serial(async () => {
      let changed = false;
      if (this.epoch !== null && a.epoch < this.epoch) {
        this.o.logger.debug({ epoch: a.epoch, chainsEpoch: this.epoch }, "zipnet: the replayed log is behind the persisted chains");
        return "behind";
      }
      if (this.epoch !== a.epoch) {
        let secret = await this.readKeyFile(a.epoch);
        if (secret && a.publicKey && !bytesEqual(withPrivateKey(secret, (k) => rawPublic(createPublicKey(k))), a.publicKey)) {
          this.o.logger.error({ epoch: a.epoch }, "zipnet: our epoch key file does not match the key the round lists for us");
          secret.fill(0);
          secret = null;
        }
        if (!secret) {
          if (this.sittingOut !== a.epoch) {
            this.sittingOut = a.epoch;
            this.o.logger.error(
              { epoch: a.epoch, round: a.round, chainsEpoch: this.epoch, dir: this.dir },
              "zipnet: no key material for the live epoch (its key file is gone and no chains were persisted for it); this server sits the epoch out and serves again from the next one",
            );
          }
          return "sitting_out";
        }
        const chains = new Map<ClientId, PadRatchet>();
        try {
          await withPrivateKeyAsync(secret, async (priv) => {
            for (let i = 0; i < a.clients.length; i++) {
              // Out of apply and in slices: 1,024 agreements cost ~40 ms, Raft must keep ticking meanwhile.
              if (i > 0 && i % DERIVE_SLICE === 0) await new Promise<void>((r) => setImmediate(r));
              const c = a.clients[i]!;
              let shared: Uint8Array;
              try {
                shared = sharedSecret(priv, c.publicKey);
              } catch (err) {
                this.o.logger.warn({ client: c.id, epoch: a.epoch, err: describeError(err) }, "zipnet: no pad chain for a client with an unusable key");
                continue;
              }
              chains.set(c.id, PadRatchet.forEpoch(shared, { groupId: this.o.groupId, clientId: c.id, serverId: this.o.serverId, epoch: a.epoch, startRound: a.firstRound }));
              shared.fill(0);
            }
          });
        } finally {
          secret.fill(0);
        }
        for (const r of this.chains.values()) r.destroy();
        this.chains = chains;
        this.epoch = a.epoch;
        this.sittingOut = null;
        for (const r of chains.values()) r.skipTo(a.round);
        // Chains first, then the key: a crash in between re-derives from the key on restart.
        await this.persistChains();
        await this.eraseKeyFile(a.epoch);
        this.publicKeys.delete(a.epoch);
      }
      for (const r of this.chains.values()) {
        if (r.nextRound < a.round) {
          r.skipTo(a.round);
          changed = true;
        }
      }
      if (changed) await this.persistChains();
      await this.eraseStaleKeyFiles(a.epoch);
      return "ready";
    });
  }

  /**
   * Runs `f` (the partial of `round`) over the chains, then erases round
   * `round` from every chain and persists them before returning f's result:
   * the partial leaves the process only once the file cannot re-derive it.
   */
  serve<T>(round: number, f: (ratchet: (client: ClientId) => PadRatchet | undefined) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      try {
        return await f((c) => this.chains.get(c));
      } finally {
        for (const r of this.chains.values()) r.skipTo(round + 1);
        await this.persistChains();
      }
    });
  }

  /** Zeroes every chain held in memory. */
  close(): void {
    for (const r of this.chains.values()) r.destroy();
    this.chains.clear();
  }

  /** Test-only: everything this server holds now, from disk and memory. Never call it in production code. */
  async secretsForTest(): Promise<EpochKeysSecretsForTest> {
    const files = new Map<string, Uint8Array>();
    const keyFiles = new Map<number, Uint8Array>();
    for (const name of await readdir(this.dir)) {
      const b = new Uint8Array(await readFile(join(this.dir, name)));
      files.set(name, b);
      const m = KEY_FILE.exec(name);
      if (m) keyFiles.set(Number(m[1]), decodeEpochKeyFile(b).secret);
    }
    return { files, keyFiles, chains: [...this.chains.values()].map((r) => r.exportState()), chainsEpoch: this.epoch };
  }

  // ------------------------------------------------------------ disk

  private async readKeyFile(epoch: number): Promise<Uint8Array | null> {
    const bytes = await readSecretFile(join(this.dir, keyFileName(epoch)));
    if (!bytes) return null;
    try {
      const f = decodeEpochKeyFile(bytes);
      if (f.epoch !== epoch) throw new ZipnetError("ZIPNET_KEY_INVALID", "epoch key file names another epoch.", { expected: epoch, got: f.epoch });
      return f.secret;
    } finally {
      bytes.fill(0);
    }
  }

  private async persistChains(): Promise<void> {
    if (this.epoch === null) return;
    const chains = [...this.chains.values()].map((r) => r.exportState()).sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
    const bytes = encodeChainState({ serverId: this.o.serverId, epoch: this.epoch, chains });
    for (const c of chains) c.chain.fill(0);
    try {
      await this.writeAtomic(CHAINS_FILE, bytes);
    } finally {
      bytes.fill(0);
    }
  }

  /** tmp file (0600) → fsync → rename → fsync the directory: the file is either old or new, never torn. */
  private async writeAtomic(name: string, bytes: Uint8Array): Promise<void> {
    const tmp = join(this.dir, `${name}.tmp`);
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, name));
    await this.syncDir();
  }

  private async eraseKeyFile(epoch: number): Promise<void> {
    const path = join(this.dir, keyFileName(epoch));
    // Overwrite before unlinking; on copy-on-write or wear-levelled storage this is
    // best effort (docs/adr/0006), the unlink is what the code relies on.
    const fh = await open(path, "r+").catch(() => null);
    if (fh) {
      try {
        const { size } = await fh.stat();
        await fh.write(new Uint8Array(size), 0, size, 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await rm(path, { force: true });
    await this.syncDir();
  }

  /** Key files of epochs before `epoch` can never be used again (an epoch sat out, a crash). */
  /** Erases the key files of `epoch` (whose chains are held) and of every earlier epoch. */
  private async eraseStaleKeyFiles(epoch: number): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const m = KEY_FILE.exec(name);
      if (m && Number(m[1]) <= epoch) {
        await this.eraseKeyFile(Number(m[1]));
        this.publicKeys.delete(Number(m[1]));
      }
    }
  }

  private async syncDir(): Promise<void> {
    const d = await open(this.dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}

function rawPublic(key: KeyObject): Uint8Array {
  const der = key.export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(der.length - X25519_KEY_BYTES));
}

// The PKCS#8 buffer built around the scalar is zeroed as soon as OpenSSL has
// parsed it. The KeyObject itself cannot be wiped from JS: OpenSSL clears its
// copy when the object is collected (docs/adr/0006 notes this).
function withPrivateKey<T>(secret: Uint8Array, f: (k: KeyObject) => T): T {
  const der = Buffer.concat([PKCS8_PREFIX, secret]);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } finally {
    der.fill(0);
  }
  return f(key);
}
/**
 * The file's bytes in a plain Uint8Array (the Buffer zeroed): the codecs slice
 * their input, and Buffer.slice shares memory, so zeroing the read buffer
 * would otherwise zero the decoded key too.
 */
async function readSecretFile(path: string): Promise<Uint8Array | null> {
  const buf = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return null;
    throw e;
  });
  if (!buf) return null;
  const out = new Uint8Array(buf);
  buf.fill(0);
  return out;
}

async function withPrivateKeyAsync<T>(secret: Uint8Array, f: (k: KeyObject) => Promise<T>): Promise<T> {
  return withPrivateKey(secret, f);
}
