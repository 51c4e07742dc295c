// A real Prometheus scrapes every running daemon: each target is up, each
// exports lattice_up 1 and lattice_id with the five common labels, and a
// daemon stopped with SIGTERM drains and shows as down.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assembleLatticeConfig, idToHex, latticeId, roleOrganism, type RoleName } from "@builder/lattice-config";
import { ensureSecrets, roleEnvFor } from "@builder/builder";
import { freePort } from "./lib/ports.js";
import { startPrometheus, type Prometheus } from "./lib/prometheus.js";
import { startRole, type RoleProcess } from "./lib/role-process.js";
import { waitFor } from "./lib/wait.js";

// The roles that run standalone today (zipnet's run as a committee: see
// packages/zipnet/test/multiprocess-*.test.ts).
const ROLES: readonly RoleName[] = ["unseal-member", "offer-member", "atelier-member", "relay-member", "tally-member"];
const config = assembleLatticeConfig({
  instance: "e2e.prometheus.devnet",
  chainId: 31337,
  chainRpc: "http://127.0.0.1:8545",
  tallySettlementAddr: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
});

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

test("Prometheus scrapes every daemon: up, lattice_up 1, lattice_id, common labels; a drained daemon goes down", async () => {
  const dir = await mkdtemp(join(tmpdir(), "builder-e2e-prom-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const daemons: { role: RoleName; addr: string; p: RoleProcess }[] = [];
  for (const role of ROLES) {
    const addr = `127.0.0.1:${await freePort()}`;
    const { env: secrets } = await ensureSecrets(join(dir, "secrets"), config.name, role, "member-01");
    const env = roleEnvFor({ config, role, member: "member-01", secrets, dataDir: join(dir, "data", role), prometheusAddr: addr, logLevel: "info" });
    const p = startRole(role, env);
    cleanup.push(async () => (p.proc.kill("SIGKILL"), p.exited));
    daemons.push({ role, addr, p });
  }
  await Promise.all(daemons.map((d) => d.p.waitForLine("starting", (l) => l.includes('"msg":"starting"'))));

  const prom: Prometheus = await startPrometheus(daemons.map((d) => d.addr));
  cleanup.push(() => prom.stop());

  const idHex = idToHex(latticeId(config));
  const series = await waitFor(
    `lattice_up == 1 from all ${ROLES.length} daemons in Prometheus`,
    async () => {
      const s = await prom.query("lattice_up == 1");
      return s.length === ROLES.length ? s : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  for (const role of ROLES) {
    const s = series.find((x) => x.metric["role"] === role);
    assert.ok(s, `no lattice_up series for ${role}`);
    assert.deepEqual(
      { lattice: s.metric["lattice"], chain_id: s.metric["chain_id"], organism: s.metric["organism"], member: s.metric["member"] },
      { lattice: config.name, chain_id: "31337", organism: roleOrganism(role), member: "member-01" },
    );
  }
  const ids = await prom.query(`lattice_id{lattice_id_hex="${idHex}"}`);
  assert.equal(ids.length, ROLES.length);
  const up = await prom.query("up");
  assert.deepEqual(up.map((s) => s.value), ROLES.map(() => 1));

  // Drain one daemon: it exits 0 and its target turns down.
  const victim = daemons[0]!;
  victim.p.proc.kill("SIGTERM");
  assert.equal(await victim.p.exited, 0);
  await waitFor(
    `Prometheus to see ${victim.role} down`,
    async () => {
      const targets = await prom.targets();
      return targets.get(`http://${victim.addr}/metrics`) === "down" ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  assert.equal((await prom.query("up == 1")).length, ROLES.length - 1);
});
