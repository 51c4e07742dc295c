// A throw-away three-member etcd 3.4 cluster on loopback (Debian's
// /usr/bin/etcd): random free ports, temp data dirs, stopped by PID.
// Readiness is a condition, not a delay: every member's /health says true.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpJsonClient } from "./http-client.js";
import { freeLoopbackPort } from "@builder/net";

export const ETCD_BINARY = "/usr/bin/etcd";

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly process: ChildProcess;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Client URL of the current leader. */
  leaderUrl(): Promise<string>;
  stop(): Promise<void>;
}

export const freePort = freeLoopbackPort;

export async function startEtcdCluster(size = 3, opts: { readyTimeoutMs?: number } = {}): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), "etcd-bench-"));
  const names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
  const ports = await Promise.all(names.map(async () => ({ client: await freePort(), peer: await freePort() })));
  const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(",");
  const token = `bench-${process.pid}-${Date.now()}`;
  const stderr: string[] = [];
  const members: EtcdMember[] = names.map((name, i) => {
    const clientUrl = `http://127.0.0.1:${ports[i]!.client}`;
    const peerUrl = `http://127.0.0.1:${ports[i]!.peer}`;
    const child = spawn(
      ETCD_BINARY,
      [
        "--name", name,
        "--data-dir", join(dir, name),
        "--listen-client-urls", clientUrl,
        "--advertise-client-urls", clientUrl,
        "--listen-peer-urls", peerUrl,
        "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", initialCluster,
        "--initial-cluster-token", token,
        "--initial-cluster-state", "new",
        "--log-level", "warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr!.on("data", (d: Buffer) => {
      if (stderr.length < 200) stderr.push(`${name}: ${d.toString().trimEnd()}`);
    });
    return { name, clientUrl, process: child };
  });

  const stop = async (): Promise<void> => {
    await Promise.all(
      members.map(
        (m) =>
          new Promise<void>((resolve) => {
            if (m.process.exitCode !== null || m.process.signalCode !== null) return resolve();
            m.process.once("exit", () => resolve());
            m.process.kill("SIGTERM");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };

  const probe = new HttpJsonClient();
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  try {
    for (const m of members) {
      for (;;) {
        if (m.process.exitCode !== null) throw new Error(`etcd ${m.name} exited with ${m.process.exitCode}:\n${stderr.join("\n")}`);
        const health = await probe.get<{ health?: string }>(`${m.clientUrl}/health`).catch(() => null);
        if (health?.health === "true") break;
        if (Date.now() > deadline) throw new Error(`etcd ${m.name} not healthy within ${opts.readyTimeoutMs ?? 30_000} ms:\n${stderr.join("\n")}`);
        // Not ready yet: wait for its next log line or a short poll interval, whichever comes first.
        await new Promise<void>((r) => {
          const t = setTimeout(r, 50);
          m.process.stderr!.once("data", () => {
            clearTimeout(t);
            r();
          });
        });
      }
    }
  } catch (err) {
    probe.close();
    await stop();
    throw err;
  }

  return {
    members,
    async leaderUrl() {
      for (const m of members) {
        const s = await probe.post<{ header: { member_id: string }; leader: string }>(`${m.clientUrl}/v3/maintenance/status`, {});
        if (s.leader === s.header.member_id) return m.clientUrl;
      }
      throw new Error("etcd: no member reports itself as leader");
    },
    async stop() {
      probe.close();
      await stop();
    },
  };
}
