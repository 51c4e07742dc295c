// The zipnet role starts the executables run under runDaemon. They read the
// daemon's env plus three zipnet variables the seed env list does not carry
// yet (see README "Executables"): the operator's ticket key, the aggregator's
// read ticket, and the voter peer ids / listen address.
import { readFile } from "node:fs/promises";
import { createPublicKey, type KeyObject } from "node:crypto";
import { verifyTicket, type TicketClaims } from "@builder/net";
import type { DaemonContext, RoleHandle } from "@builder/daemon";
import type { RaftMetrics } from "@builder/raft";
import { startZipnetAggregator } from "../node/aggregator.js";
import { availableParallelism } from "node:os";
import { startZipnetServer } from "../node/server.js";
import { shouldUseWorkers, UnblindPool } from "../core/server-unblind.js";
import { vectorBytes } from "../proto.js";
import { zipnetIds } from "../node/ids.js";
import type { ZipnetMetricsSink } from "../metrics.js";
import { peerIdOfSecret } from "./peer-id.js";

export const ZIPNET_EXTRA_ENV = {
  /** PEM (SPKI) of the operator's Ed25519 ticket key: verifies lattice tickets. */
  operatorKey: "LATTICE_OPERATOR_PUBLIC_KEY_FILE",
  /** File holding the aggregator's lattice read ticket (JWT) for the LiveRound collection. */
  readTicket: "LATTICE_READ_TICKET_FILE",
  /** Comma-separated peer ids of the zipnet servers; default: this server plus LATTICE_BOOTSTRAP's ids. */
  members: "ZIPNET_MEMBERS",
  /** Comma-separated listen multiaddrs; default /ip4/127.0.0.1/tcp/0. */
  listen: "LATTICE_LISTEN",
} as const;

export class ZipnetRoleError extends Error {
  override readonly name = "ZipnetRoleError";
  constructor(
    readonly code: "ZIPNET_ROLE_CONFIG",
    message: string,
  ) {
    super(message);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export interface ZipnetRoleExtras {
  /** Defaults to process.env. */
  env?: Env;
  /** Histogram observer for zipnet_round_commit_latency_seconds (the daemon's named() sink has none). */
  observe?: ZipnetMetricsSink["observe"];
}

async function operatorVerifier(env: Env, ctx: DaemonContext): Promise<(t: string) => Promise<TicketClaims>> {
  const path = env[ZIPNET_EXTRA_ENV.operatorKey];
  if (!path) throw new ZipnetRoleError("ZIPNET_ROLE_CONFIG", `${ZIPNET_EXTRA_ENV.operatorKey} is required but not set: the PEM file of the operator's Ed25519 ticket public key.`);
  let key: KeyObject;
  try {
    key = createPublicKey(await readFile(path, "utf8"));
  } catch (err) {
    throw new ZipnetRoleError("ZIPNET_ROLE_CONFIG", `${ZIPNET_EXTRA_ENV.operatorKey}=${path}: expected a PEM public key (${(err as Error).message.split("\n")[0]}).`);
  }
  return (t) => verifyTicket(t, { key, latticeId: ctx.env.latticeId, scope: "read" });
}

const peerIdAtEnd = (ma: string): string => ma.slice(ma.lastIndexOf("/p2p/") + 5).split("/")[0] ?? "";
const list = (v: string | undefined): string[] => (v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");

function sinkOf(ctx: DaemonContext, observe: ZipnetMetricsSink["observe"]): ZipnetMetricsSink {
  const named = ctx.metrics.named();
  return { inc: (n, l, v) => named.inc(n, l, v), set: (n, v, l) => named.set(n, v, l), ...(observe ? { observe } : {}) };
}

export async function startZipnetServerRole(ctx: DaemonContext, extras: ZipnetRoleExtras = {}): Promise<RoleHandle> {
  const env = extras.env ?? process.env;
  const secret = ctx.env.secrets.peer.expose();
  const self = await peerIdOfSecret(secret);
  const bootstrap = [...ctx.env.bootstrap];
  const explicit = list(env[ZIPNET_EXTRA_ENV.members]);
  const members = explicit.length > 0 ? explicit : [...new Set([self, ...bootstrap.map(peerIdAtEnd)])].sort();
  if (members.length !== ctx.env.config.zipnet.servers) {
    throw new ZipnetRoleError(
      "ZIPNET_ROLE_CONFIG",
      `zipnet-server: found ${members.length} server peer ids (${members.join(", ")}) but the config pins ${ctx.env.config.zipnet.servers}; set ${ZIPNET_EXTRA_ENV.members} or list exactly the other servers in LATTICE_BOOTSTRAP.`,
    );
  }
  const listen = list(env[ZIPNET_EXTRA_ENV.listen]);
  const verify = await operatorVerifier(env, ctx);
  // Worker threads only when a full round is past the measured crossover (archival-sized windows).
  const { params } = zipnetIds(ctx.env.config);
  const threads = Math.max(1, availableParallelism());
  const pool = shouldUseWorkers(params.maxParticipants, vectorBytes(params), threads) ? new UnblindPool(threads) : null;
  const server = await startZipnetServer({
    config: ctx.env.config,
    secret,
    committeeSecret: ctx.env.secrets.committee.expose(),
    members,
    bootstrap,
    ...(listen.length > 0 ? { listen } : {}),
    dataDir: ctx.env.dataDir,
    verifyTicket: verify,
    raft: { metrics: ctx.metrics.raft() as RaftMetrics },
    pool,
    logger: ctx.logger,
    metrics: sinkOf(ctx, extras.observe),
    member: ctx.env.member,
  }).catch(async (err: unknown) => {
    await pool?.close();
    throw err;
  });
  ctx.metrics.memberUp.set(1);
  ctx.metrics.committeeSize.set(members.length);
  ctx.logger.info({ peerId: server.peerId, multiaddrs: server.multiaddrs, serverId: server.serverId, members, unblindWorkers: pool?.threads ?? 0 }, "zipnet-server listening");
  ctx.markReady();
  return {
    stop: async () => {
      ctx.metrics.memberUp.set(0);
      await server.stop();
      await pool?.close();
    },
  };
}

export async function startZipnetAggregatorRole(ctx: DaemonContext, extras: ZipnetRoleExtras = {}): Promise<RoleHandle> {
  const env = extras.env ?? process.env;
  const ticketPath = env[ZIPNET_EXTRA_ENV.readTicket];
  if (!ticketPath) throw new ZipnetRoleError("ZIPNET_ROLE_CONFIG", `${ZIPNET_EXTRA_ENV.readTicket} is required but not set: a file holding the aggregator's lattice read ticket (JWT).`);
  if (ctx.env.bootstrap.length === 0) throw new ZipnetRoleError("ZIPNET_ROLE_CONFIG", "zipnet-aggregator: LATTICE_BOOTSTRAP must list the zipnet servers' multiaddrs.");
  const listen = list(env[ZIPNET_EXTRA_ENV.listen]);
  const aggregator = await startZipnetAggregator({
    config: ctx.env.config,
    secret: ctx.env.secrets.peer.expose(),
    committeeSecret: ctx.env.secrets.committee.expose(),
    servers: ctx.env.bootstrap,
    ...(listen.length > 0 ? { listen } : {}),
    verifyTicket: await operatorVerifier(env, ctx),
    // Re-read on every reconnect so the operator can rotate the ticket in place.
    ticket: async () => (await readFile(ticketPath, "utf8")).trim(),
    logger: ctx.logger,
    metrics: sinkOf(ctx, extras.observe),
  });
  ctx.metrics.memberUp.set(1);
  ctx.logger.info({ peerId: aggregator.peerId, multiaddrs: aggregator.multiaddrs }, "zipnet-aggregator listening");
  ctx.markReady();
  return {
    stop: async () => {
      ctx.metrics.memberUp.set(0);
      await aggregator.stop();
    },
  };
}
