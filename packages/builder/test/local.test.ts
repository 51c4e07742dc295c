import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { ROLE_NAMES, assembleLatticeConfig, parseRoleEnv, roleOrganism } from "@builder/lattice-config";
import { loadDaemonEnv } from "@builder/daemon";
import { ensureSecrets, freshSecret, renderEnvFile, roleEnvFor, secretFilesFor } from "../src/index.js";
import { scratchDir } from "../../daemon/test/helpers/scratchDir.js";

const BLS_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const REPO = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
const config = assembleLatticeConfig({
  instance: "acme.ethereum.mainnet",
  chainId: 1,
  chainRpc: "http://127.0.0.1:8545",
  tallySettlementAddr: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
});
const scalar = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString("hex")}`);

describe("local secrets and role env", () => {
  test("file names are the atelier runbook's", async () => {
    const example = await readFile(join(REPO, "deploy/systemd/atelier-member.env.example"), "utf8");
    const fromRunbook = Object.fromEntries(
      example.split("\n").filter((l) => /^[A-Z_]+_FILE=/.test(l)).map((l) => {
        const [k, v] = l.split("=") as [string, string];
        return [k, basename(v)];
      }),
    );
    const ours = Object.fromEntries(secretFilesFor("acme.ethereum.mainnet", "atelier-member", "member-01").map((s) => [s.variable, s.file]));
    assert.deepEqual(ours, fromRunbook);
  });

  test("BLS and ECDSA secrets are valid non-zero scalars, whatever the random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), (bytes) => {
        const bls = scalar(freshSecret("bls", () => bytes));
        const ecdsa = scalar(freshSecret("ecdsa", () => bytes));
        return bls > 0n && bls < BLS_ORDER && ecdsa > 0n && ecdsa < SECP256K1_ORDER;
      }),
    );
    for (const fill of [0x00, 0xff]) {
      const bytes = new Uint8Array(48).fill(fill);
      assert.ok(scalar(freshSecret("bls", () => bytes)) < BLS_ORDER);
      assert.ok(scalar(freshSecret("ecdsa", () => bytes)) > 0n);
    }
    assert.equal(freshSecret("committee").length, 32);
  });

  test("ensureSecrets writes 0400 files once and keeps them on a re-run", async () => {
    const dir = join(await scratchDir("builder-local-"), "secrets", "acme.ethereum.mainnet");
    const first = await ensureSecrets(dir, "acme.ethereum.mainnet", "tally-member", "member-02");
    assert.equal(first.created.length, 3);
    const before = await Promise.all(Object.values(first.env).map((p) => readFile(p, "utf8")));
    for (const p of Object.values(first.env)) assert.equal((await stat(p)).mode & 0o777, 0o400, p);
    assert.equal((await stat(dir)).mode & 0o777, 0o700, "the secrets directory is created 0700");
    const again = await ensureSecrets(dir, "acme.ethereum.mainnet", "tally-member", "member-02");
    assert.deepEqual(again.created, []);
    assert.deepEqual(await Promise.all(Object.values(again.env).map((p) => readFile(p, "utf8"))), before);
    // A second member of the organism shares the committee secret and gets its own peer key.
    const other = await ensureSecrets(dir, "acme.ethereum.mainnet", "tally-member", "member-03");
    assert.equal(other.env["TALLY_COMMITTEE_SECRET_FILE"], first.env["TALLY_COMMITTEE_SECRET_FILE"]);
    assert.notEqual(other.env["TALLY_SECRET_FILE"], first.env["TALLY_SECRET_FILE"]);
  });

  test("every role's generated env passes the contract's schema and the daemon's loader", async () => {
    const dir = await scratchDir("builder-local-");
    for (const role of ROLE_NAMES) {
      const { env: secrets } = await ensureSecrets(dir, config.name, role, "member-01");
      // The operator's ticket key and the aggregator's ticket come from the operator, not from ensureSecrets.
      const extra: Record<string, string> = {};
      if (roleOrganism(role) === "zipnet") extra["LATTICE_OPERATOR_PUBLIC_KEY_FILE"] = join(dir, "operator.pub.pem");
      if (role === "zipnet-aggregator") extra["LATTICE_READ_TICKET_FILE"] = join(dir, "aggregator.ticket");
      const env = roleEnvFor({ config, role, member: "member-01", secrets, dataDir: join(dir, "data", role), prometheusAddr: "127.0.0.1:0", extra });
      assert.equal(parseRoleEnv(role, env).role, role);
      const loaded = await loadDaemonEnv(role, env);
      assert.equal(loaded.config.name, config.name, role);
      assert.equal(roleOrganism(role), loaded.organism);
      assert.match(renderEnvFile(env, `${role}.env`), new RegExp(`^LATTICE_CONFIG_HEX=[0-9a-f]+$`, "m"));
    }
  });

  test("a variable the role does not read, or a missing secret, is refused by name", () => {
    assert.throws(
      () => roleEnvFor({ config, role: "offer-member", member: "m", secrets: { OFFER_COMMITTEE_SECRET_FILE: "/a", OFFER_SECRET_FILE: "/b" }, extra: { ATELIER_CHAIN_RPC: "http://x" } }),
      { code: "BUILDER_ROLE_ENV", message: /offer-member does not read ATELIER_CHAIN_RPC/ },
    );
    assert.throws(
      () => roleEnvFor({ config, role: "atelier-member", member: "m", secrets: { ATELIER_COMMITTEE_SECRET_FILE: "/a", ATELIER_SECRET_FILE: "/b" } }),
      { code: "BUILDER_ROLE_ENV", message: /atelier-member needs ATELIER_BLS_SECRET_FILE/ },
    );
    assert.throws(() => renderEnvFile({ A: "two words" }, "x"), { code: "BUILDER_ROLE_ENV", message: /^A has a value with white space/ });
  });
});
