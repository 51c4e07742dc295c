import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { ROLE_NAMES, assembleLatticeConfig, groupId, idToHex, latticeConfigToHex, latticeId, roleOrganism } from "@builder/lattice-config";
import { loadDaemonEnv } from "../src/env.js";
import { DaemonError } from "../src/errors.js";
import { CONFIG_INPUT, validRoleEnv } from "./helpers/roleEnv.js";

function daemonError(code: string, includes: string[]) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof DaemonError, `expected DaemonError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const s of includes) assert.ok(err.message.includes(s), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(s)}`);
    return true;
  };
}

describe("loadDaemonEnv", () => {
  test("every role loads: ids, secrets, member and a 0700 data directory", async () => {
    const cfg = assembleLatticeConfig(CONFIG_INPUT);
    for (const role of ROLE_NAMES) {
      const { env } = await validRoleEnv(role);
      const d = await loadDaemonEnv(role, env);
      assert.equal(d.organism, roleOrganism(role));
      assert.equal(d.latticeIdHex, idToHex(latticeId(cfg)));
      assert.equal(d.groupIdHex, idToHex(groupId(cfg, d.organism)));
      assert.equal(d.member, "member-01");
      assert.equal(d.config.name, "acme.ethereum.mainnet");
      assert.deepEqual(d.prometheusAddr, { host: "127.0.0.1", port: 0 });
      assert.equal(d.secrets.committee.length, 32);
      assert.equal(d.secrets.peer.length, 32);
      assert.equal(d.secrets.bls !== undefined, role === "atelier-member" || role === "relay-member", role);
      assert.equal(d.secrets.ecdsa !== undefined, role === "tally-member", role);
      assert.equal(d.chainRpc, role === "atelier-member" || role === "tally-member" ? "http://127.0.0.1:8545" : undefined);
      assert.equal((await fs.stat(d.dataDir)).mode & 0o777, 0o700);
      assert.ok(!JSON.stringify(d.secrets).includes("0202"), "secrets serialize redacted");
    }
  });

  test("every missing variable is named at once", async () => {
    await assert.rejects(
      loadDaemonEnv("atelier-member", {}),
      daemonError("DAEMON_ENV_INVALID", [
        "LATTICE_INSTANCE: required but not set",
        "LATTICE_CHAIN_ID: required but not set",
        "LATTICE_CONFIG_HEX: required but not set",
        "ATELIER_COMMITTEE_SECRET_FILE: required but not set",
        "ATELIER_SECRET_FILE: required but not set",
        "ATELIER_BLS_SECRET_FILE: required but not set",
      ]),
    );
  });

  test("an instance mismatch names both values", async () => {
    const { env } = await validRoleEnv("atelier-member", { LATTICE_INSTANCE: "other.ethereum.mainnet" });
    await assert.rejects(loadDaemonEnv("atelier-member", env), daemonError("DAEMON_ENV_MISMATCH", ["LATTICE_INSTANCE is 'other.ethereum.mainnet' but LATTICE_CONFIG_HEX encodes name 'acme.ethereum.mainnet'"]));
  });

  test("a chain-id mismatch names both values", async () => {
    const { env } = await validRoleEnv("offer-member", { LATTICE_CHAIN_ID: "5" });
    await assert.rejects(loadDaemonEnv("offer-member", env), daemonError("DAEMON_ENV_MISMATCH", ["LATTICE_CHAIN_ID is '5' but LATTICE_CONFIG_HEX encodes chain id '1'"]));
  });

  test("a mismatch among other problems is reported with them", async () => {
    const { env } = await validRoleEnv("offer-member", { LATTICE_CHAIN_ID: "5", OFFER_SECRET_FILE: undefined });
    await assert.rejects(loadDaemonEnv("offer-member", env), daemonError("DAEMON_ENV_INVALID", ["2 problems", "LATTICE_CHAIN_ID is '5'", "OFFER_SECRET_FILE: required but not set"]));
  });

  test("garbled LATTICE_CONFIG_HEX is a config error naming the variable", async () => {
    const { env } = await validRoleEnv("zipnet-server", { LATTICE_CONFIG_HEX: "0xzz" });
    await assert.rejects(loadDaemonEnv("zipnet-server", env), daemonError("DAEMON_ENV_INVALID", ["LATTICE_CONFIG_HEX"]));
  });

  test("secret files with open permissions are all reported, naming their variables", async () => {
    const { env } = await validRoleEnv("tally-member");
    await fs.chmod(env["TALLY_SECRET_FILE"] as string, 0o644);
    await fs.chmod(env["TALLY_ECDSA_SECRET_FILE"] as string, 0o640);
    await assert.rejects(
      loadDaemonEnv("tally-member", env),
      daemonError("DAEMON_SECRET_PERMISSIONS", ["TALLY_SECRET_FILE: permissions 0644", "TALLY_ECDSA_SECRET_FILE: permissions 0640", "chmod 0400"]),
    );
  });

  test("an existing world-readable data directory is tightened to 0700", async () => {
    const { env, dir } = await validRoleEnv("relay-member");
    const dataDir = join(dir, "open");
    await fs.mkdir(dataDir, { mode: 0o755 });
    await fs.chmod(dataDir, 0o755);
    const d = await loadDaemonEnv("relay-member", { ...env, LATTICE_DATA_DIR: dataDir });
    assert.equal((await fs.stat(d.dataDir)).mode & 0o777, 0o700);
  });

  test("a data directory path occupied by a file is refused", async () => {
    const { env, dir } = await validRoleEnv("relay-member");
    const file = join(dir, "afile");
    await fs.writeFile(file, "x");
    await assert.rejects(loadDaemonEnv("relay-member", { ...env, LATTICE_DATA_DIR: file }), (e: unknown) => e instanceof DaemonError && e.code === "DAEMON_DATA_DIR" && e.message.includes(file));
  });

  test("config hex decoded by the env is the one assembled", async () => {
    const { env } = await validRoleEnv("unseal-member");
    const d = await loadDaemonEnv("unseal-member", env);
    assert.equal(latticeConfigToHex(d.config), env["LATTICE_CONFIG_HEX"]);
  });
});
