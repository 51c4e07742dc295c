import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ROLE_NAMES, assembleLatticeConfig, idToHex, latticeId, roleOrganism } from "@builder/lattice-config";
import { pollUntil, spawnTs } from "./helpers/child.js";
import { CONFIG_INPUT, roleEnv } from "./helpers/roleEnv.js";

/** Child start-up (tsx compiles on the fly) is slow on a loaded 2-core machine; these are upper bounds, not waits. */
const START_DEADLINE_MS = 30_000;
const SHUTDOWN_BUDGET_MS = 5_000;

function startingAddress(line: string): string | undefined {
  try {
    const j = JSON.parse(line) as { msg?: string; httpAddress?: string };
    return j.msg === "starting" ? j.httpAddress : undefined;
  } catch {
    return undefined;
  }
}

describe("role executables (child processes)", () => {
  test("atelier-member with LATTICE_INSTANCE different from the config exits 2 naming both values", async () => {
    const env = await roleEnv("atelier-member", { LATTICE_INSTANCE: "evil.ethereum.mainnet" });
    const child = spawnTs("atelier-member.ts", [], env);
    const { code } = await child.exited;
    await new Promise((r) => (child.proc.stderr.readableEnded ? r(null) : child.proc.stderr.on("end", r)));
    assert.equal(code, 2);
    assert.deepEqual(child.stderrLines, ["atelier-member: DAEMON_ENV_MISMATCH: LATTICE_INSTANCE is 'evil.ethereum.mainnet' but LATTICE_CONFIG_HEX encodes name 'acme.ethereum.mainnet'"]);
  });

  test("atelier-member with a 0644 secret exits 2 with the chmod fix", async () => {
    const env = await roleEnv("atelier-member");
    const { chmod } = await import("node:fs/promises");
    await chmod(env["ATELIER_BLS_SECRET_FILE"] as string, 0o644);
    const child = spawnTs("atelier-member.ts", [], env);
    const { code } = await child.exited;
    await new Promise((r) => (child.proc.stderr.readableEnded ? r(null) : child.proc.stderr.on("end", r)));
    assert.equal(code, 2);
    assert.equal(child.stderrLines.length, 1);
    assert.match(child.stderrLines[0] ?? "", /^atelier-member: DAEMON_SECRET_PERMISSIONS: ATELIER_BLS_SECRET_FILE: permissions 0644 for '.*atelier\.member-01\.bls' are too open; run chmod 0400 .*atelier\.member-01\.bls$/);
  });

  test("atelier-member serves metrics with the common labels, turns ready, and exits 0 within 5 s of SIGTERM", async () => {
    const env = await roleEnv("atelier-member");
    const child = spawnTs("atelier-member.ts", [], env);
    try {
      const line = await child.waitForLine((l) => startingAddress(l) !== undefined, START_DEADLINE_MS, "with the bound httpAddress");
      const base = `http://${startingAddress(line)}`;
      const ready = await pollUntil(async () => {
        const r = await fetch(`${base}/readyz`);
        const body = await r.text();
        return r.status === 200 ? body : undefined;
      }, START_DEADLINE_MS, "/readyz 200");
      assert.equal(ready, "ready\n");
      assert.equal((await fetch(`${base}/healthz`)).status, 200);

      const metrics = await (await fetch(`${base}/metrics`)).text();
      const common = 'lattice="acme.ethereum.mainnet",chain_id="1",organism="atelier",role="atelier-member",member="member-01"';
      const idHex = idToHex(latticeId(assembleLatticeConfig(CONFIG_INPUT)));
      assert.ok(metrics.includes(`\nlattice_up{${common}} 1\n`), metrics);
      assert.ok(metrics.includes(`\nlattice_id{lattice_id_hex="${idHex}",${common}} 1\n`));
      assert.ok(metrics.includes(`\natelier_member_up{${common}} 1\n`));
      assert.ok(metrics.includes("\nnodejs_eventloop_lag_seconds{"));

      const logText = child.stdoutLines.join("\n");
      for (const path of [env["ATELIER_BLS_SECRET_FILE"], env["ATELIER_SECRET_FILE"]]) {
        const { readFile } = await import("node:fs/promises");
        const hex = (await readFile(path as string, "utf8")).trim();
        assert.ok(!logText.includes(hex), "secret content never logged");
      }

      const sent = performance.now();
      child.proc.kill("SIGTERM");
      const { code, at } = await child.exited;
      const elapsed = at - sent;
      assert.equal(code, 0);
      assert.ok(elapsed < SHUTDOWN_BUDGET_MS, `exit took ${elapsed.toFixed(0)} ms`);
      console.log(`# atelier-member SIGTERM -> exit 0 in ${elapsed.toFixed(1)} ms`);
      assert.ok(child.stdoutLines.some((l) => l.includes('"msg":"stopped"')));
    } finally {
      child.proc.kill("SIGKILL");
    }
  });

  // Roles that still run the ready-only stand-in. zipnet-server and
  // zipnet-aggregator run the real organism, which needs its committee: they
  // are started together in packages/zipnet/test/multiprocess-*.test.ts.
  test("every stand-in role executable starts, exports <org>_member_up 1, and stops on SIGTERM", async () => {
    const others = ROLE_NAMES.filter((r) => r !== "atelier-member" && roleOrganism(r) !== "zipnet");
    assert.equal(others.length, 4);
    await Promise.all(
      others.map(async (role) => {
        const child = spawnTs(`${role}.ts`, [], await roleEnv(role, { LATTICE_MEMBER: `${role}-1` }));
        try {
          const line = await child.waitForLine((l) => startingAddress(l) !== undefined, START_DEADLINE_MS * 2, `${role} httpAddress`);
          const base = `http://${startingAddress(line)}`;
          await pollUntil(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), START_DEADLINE_MS, `${role} ready`);
          const metrics = await (await fetch(`${base}/metrics`)).text();
          const org = roleOrganism(role);
          assert.ok(metrics.includes(`\n${org}_member_up{lattice="acme.ethereum.mainnet",chain_id="1",organism="${org}",role="${role}",member="${role}-1"} 1\n`), `${role}: ${org}_member_up`);
          child.proc.kill("SIGTERM");
          assert.equal((await child.exited).code, 0, role);
        } finally {
          child.proc.kill("SIGKILL");
        }
      }),
    );
  });
});
