// A private Prometheus (Debian's package) on a random loopback port with a
// temporary TSDB, scraping the given targets every second. Stopped by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { waitFor } from "./wait.js";

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface Prometheus {
  readonly url: string;
  query(expr: string): Promise<PromSample[]>;
  /** Targets by scrape URL with their health ("up" | "down" | "unknown"). */
  targets(): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: readonly string[], { binary = "prometheus" } = {}): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), "builder-prom-"));
  const port = await freePort();
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  scrape_timeout: 800ms",
    "scrape_configs:",
    "  - job_name: lattice",
    "    static_configs:",
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "prometheus.yml"), config);
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const api = async (path: string): Promise<any> => {
    const res = await fetch(url + path);
    if (!res.ok) throw new Error(`prometheus ${path}: HTTP ${res.status}`);
    const body = (await res.json()) as { status: string; data: any };
    if (body.status !== "success") throw new Error(`prometheus ${path}: ${JSON.stringify(body)}`);
    return body.data;
  };

  try {
    await waitFor(`prometheus ready on ${url}`, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${log}`);
      const res = await fetch(`${url}/-/ready`).catch(() => undefined);
      return res?.ok ? true : undefined;
    });
  } catch (e) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    url,
    async query(expr) {
      const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({
        metric: r.metric,
        value: Number(r.value[1]),
      }));
    },
    async targets() {
      const data = await api("/api/v1/targets");
      return new Map((data.activeTargets as { scrapeUrl: string; health: string }[]).map((t) => [t.scrapeUrl, t.health]));
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
