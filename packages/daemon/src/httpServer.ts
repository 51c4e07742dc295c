import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { DaemonError } from "./errors.js";
import { type ListenAddr, formatListenAddr } from "./listenAddr.js";
import type { Logger } from "./logger.js";
import type { Readiness } from "./readiness.js";

export interface HttpServerOptions {
  readonly listen: ListenAddr;
  readonly registry: Registry;
  readonly readiness: Readiness;
  readonly logger: Logger;
}

export interface RunningHttpServer {
  /** The bound address (the real port when 0 was asked for), as host:port. */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The operator endpoints: /metrics (Prometheus text), /healthz (the process
 * answers), /readyz (200 only when no readiness blocker remains).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { registry, readiness, logger } = options;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, "http handler failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error\n");
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    switch (path) {
      case "/metrics": {
        const body = await registry.metrics();
        res.writeHead(200, { "content-type": registry.contentType }).end(body);
        return;
      }
      case "/healthz":
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
        return;
      case "/readyz":
        if (readiness.isReady) res.writeHead(200, { "content-type": "text/plain" }).end("ready\n");
        else res.writeHead(503, { "content-type": "text/plain" }).end(`not ready\n${readiness.reasons().map((r) => `- ${r}\n`).join("")}`);
        return;
      default:
        res.writeHead(404, { "content-type": "text/plain" }).end("not found; try /metrics, /healthz or /readyz\n");
    }
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new DaemonError("DAEMON_LISTEN_FAILED", `cannot listen on PROMETHEUS_ADDR ${formatListenAddr(options.listen)}: ${err.code ?? err.message}${err.code === "EADDRINUSE" ? " (another process holds the port; pick another or stop it)" : ""}`, {
          address: formatListenAddr(options.listen),
          errno: err.code,
        }),
      );
    };
    server.once("error", onError);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  // Scrapers keep connections alive; don't let them hold shutdown open.
  server.keepAliveTimeout = 5_000;
  const info = server.address() as AddressInfo;
  const bound = { host: info.address, port: info.port };
  return {
    address: formatListenAddr(bound),
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
