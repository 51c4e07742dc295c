// The libp2p 3 node every lattice process runs: TCP, Noise, Yamux, Identify,
// with an identity derived from the member secret.
import "@builder/polyfill";
import { createLibp2p, type Libp2p } from "libp2p";
import { tcp } from "@libp2p/tcp";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify, type Identify } from "@libp2p/identify";
import type { PrivateKey } from "@libp2p/interface";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { peerKeyFromSecret, readSecretFile } from "./identity.js";
import { NetError } from "./errors.js";
import { silentLogger, type NetLogger } from "./logger.js";
import { NET_METRICS, type NetMetrics } from "./metrics.js";

export type LatticeLibp2p = Libp2p<{ identify: Identify }>;

export interface LatticeHostOptions {
  /** Path to the member's `<ORG>_SECRET_FILE`; exclusive with `secret`/`privateKey`. */
  secretKeyFile?: string;
  /** The 32-byte member secret itself. */
  secret?: Uint8Array;
  /** A ready libp2p private key (tests, tools). */
  privateKey?: PrivateKey;
  /** Defaults to ["/ip4/127.0.0.1/tcp/0"]. */
  listen?: string[];
  /** Bootstrap multiaddrs (`LATTICE_BOOTSTRAP`), each with a /p2p/<id> suffix. */
  bootstrap?: string[];
  logger?: NetLogger;
  metrics?: NetMetrics;
}

export interface LatticeHost {
  readonly libp2p: LatticeLibp2p;
  readonly privateKey: PrivateKey;
  readonly bootstrap: Multiaddr[];
  readonly logger: NetLogger;
  readonly metrics: NetMetrics | undefined;
  stop(): Promise<void>;
}

export async function createLatticeHost(opts: LatticeHostOptions): Promise<LatticeHost> {
  const sources = [opts.secretKeyFile, opts.secret, opts.privateKey].filter((x) => x !== undefined).length;
  if (sources !== 1) {
    throw new NetError(
      "NET_CONFIG",
      `createLatticeHost: pass exactly one of secretKeyFile, secret or privateKey (got ${sources}).`,
      { fields: { sources } },
    );
  }
  const privateKey =
    opts.privateKey ??
    (await peerKeyFromSecret(opts.secret ?? (await readSecretFile(opts.secretKeyFile as string))));
  const bootstrap = (opts.bootstrap ?? []).map((s) => parseBootstrap(s));
  const logger = opts.logger ?? silentLogger;
  const metrics = opts.metrics;

  const libp2p = await createLibp2p({
    privateKey,
    addresses: { listen: opts.listen ?? ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });

  let open = 0;
  const onOpen = (): void => metrics?.set(NET_METRICS.connections, ++open);
  const onClose = (): void => metrics?.set(NET_METRICS.connections, Math.max(0, --open));
  libp2p.addEventListener("connection:open", onOpen);
  libp2p.addEventListener("connection:close", onClose);
  logger.info({ peerId: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map(String) }, "libp2p host started");

  return {
    libp2p,
    privateKey,
    bootstrap,
    logger,
    metrics,
    async stop() {
      await libp2p.stop();
      libp2p.removeEventListener("connection:open", onOpen);
      libp2p.removeEventListener("connection:close", onClose);
    },
  };
}

function parseBootstrap(s: string): Multiaddr {
  let ma: Multiaddr;
  try {
    ma = multiaddr(s);
  } catch (cause) {
    throw new NetError("NET_CONFIG", `Bootstrap address "${s}" is not a multiaddr (LATTICE_BOOTSTRAP).`, {
      fields: { bootstrap: s },
      cause,
    });
  }
  if (!ma.toString().includes("/p2p/")) {
    throw new NetError(
      "NET_CONFIG",
      `Bootstrap address "${s}" has no /p2p/<peer id> suffix; expected e.g. /ip4/10.0.0.1/tcp/4001/p2p/12D3KooW…`,
      { fields: { bootstrap: s } },
    );
  }
  return ma;
}
