import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_DATA_ROOT,
  idToHex,
  latticeConfigToHex,
  parseRoleEnv,
  ROLE_NAMES,
  roleEnvSchema,
  roleEnvVariables,
  RoleEnvError,
  roleOrganism,
  uniqueId,
  UNIVERSE,
  type RoleName,
} from "../src/index.js";
import { goldenConfig } from "./fixtures.js";

const HEX = latticeConfigToHex(goldenConfig());

/** Every required variable of a role, set to a plausible value. */
function fullEnv(role: RoleName, config = HEX): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of roleEnvVariables(role)) {
    if (!v.required) continue;
    if (v.name === "LATTICE_INSTANCE") env[v.name] = "acme.ethereum.mainnet";
    else if (v.name === "LATTICE_CHAIN_ID") env[v.name] = "1";
    else if (v.name === "LATTICE_CONFIG_HEX") env[v.name] = config;
    else env[v.name] = `/etc/builder/secrets/${v.name.toLowerCase()}`;
  }
  return env;
}

function envProblems(role: RoleName, env: Record<string, string | undefined>) {
  try {
    parseRoleEnv(role, env);
  } catch (e) {
    assert.ok(e instanceof RoleEnvError);
    assert.equal(e.code, "LATTICE_ENV_INVALID");
    for (const p of e.problems) assert.ok(e.message.includes(p.variable));
    return e.problems;
  }
  assert.fail("expected the environment to be rejected");
}

describe("role env", () => {
  test("each role accepts its required variables and applies the documented defaults", () => {
    for (const role of ROLE_NAMES) {
      const env = parseRoleEnv(role, fullEnv(role));
      assert.equal(env.role, role);
      assert.equal(env.organism, roleOrganism(role));
      assert.equal(env.config.name, "acme.ethereum.mainnet");
      assert.deepEqual(env.bootstrap, []);
      assert.deepEqual(env.universe, UNIVERSE);
      assert.equal(env.logLevel, "info");
      assert.equal(env.dataDir, `${DEFAULT_DATA_ROOT}/acme.ethereum.mainnet/${role}`);
      assert.equal(env.prometheusAddr, undefined);
      const P = roleOrganism(role).toUpperCase();
      assert.equal(env.committeeSecretFile, `/etc/builder/secrets/${P.toLowerCase()}_committee_secret_file`);
    }
  });

  test("the atelier runbook's env file parses (chain RPC from ATELIER_CHAIN_RPC)", () => {
    const env = parseRoleEnv("atelier-member", {
      LATTICE_INSTANCE: "acme.ethereum.mainnet",
      LATTICE_CHAIN_ID: "1",
      LATTICE_CONFIG_HEX: HEX,
      ATELIER_COMMITTEE_SECRET_FILE: "/etc/builder/secrets/acme.ethereum.mainnet.atelier.secret",
      ATELIER_BLS_SECRET_FILE: "/etc/builder/secrets/acme.ethereum.mainnet.atelier.member-01.bls",
      ATELIER_SECRET_FILE: "/etc/builder/secrets/acme.ethereum.mainnet.atelier.member-01.peer",
      ATELIER_CHAIN_RPC: "https://eth-mainnet.g.alchemy.com/v2/...",
    });
    assert.equal(env.blsSecretFile, "/etc/builder/secrets/acme.ethereum.mainnet.atelier.member-01.bls");
    assert.equal(env.chainRpc, "https://eth-mainnet.g.alchemy.com/v2/...");
  });

  test("an empty environment names every required variable", () => {
    for (const role of ROLE_NAMES) {
      const problems = envProblems(role, {});
      const required = roleEnvVariables(role).filter((v) => v.required).map((v) => v.name);
      assert.deepEqual(problems.map((p) => p.variable).sort(), [...required].sort());
      assert.ok(problems.every((p) => p.message === "required but not set"));
    }
  });

  test("optional variables are parsed: bootstrap, universe, data dir, prometheus, member", () => {
    const env = parseRoleEnv("unseal-member", {
      ...fullEnv("unseal-member"),
      LATTICE_BOOTSTRAP: " /ip4/10.0.0.1/tcp/4001/p2p/12D3KooWA , /dns4/agg-01.acme.com/tcp/4001 ,",
      LATTICE_UNIVERSE: "staging",
      PROMETHEUS_ADDR: "[::1]:9100",
      LATTICE_MEMBER: "member-01",
    });
    assert.deepEqual(env.bootstrap, ["/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWA", "/dns4/agg-01.acme.com/tcp/4001"]);
    assert.equal(idToHex(env.universe), idToHex(uniqueId("staging")));
    assert.deepEqual(env.prometheusAddr, { host: "::1", port: 9100 });
    assert.equal(env.dataDir, `${DEFAULT_DATA_ROOT}/acme.ethereum.mainnet/unseal-member.member-01`);
    assert.equal(parseRoleEnv("unseal-member", { ...fullEnv("unseal-member"), LATTICE_DATA_DIR: "/data/u1" }).dataDir, "/data/u1");
  });

  test("RUST_LOG is an alias of LOG_LEVEL, which wins when both are set", () => {
    const base = fullEnv("offer-member");
    assert.equal(parseRoleEnv("offer-member", { ...base, RUST_LOG: "debug,libp2p=warn" }).logLevel, "debug");
    assert.equal(parseRoleEnv("offer-member", { ...base, RUST_LOG: "off" }).logLevel, "silent");
    assert.equal(parseRoleEnv("offer-member", { ...base, RUST_LOG: "trace", LOG_LEVEL: "WARN" }).logLevel, "warn");
  });

  test("invalid values are all reported, by variable, with what was expected", () => {
    const problems = envProblems("tally-member", {
      ...fullEnv("tally-member"),
      LATTICE_CHAIN_ID: "one",
      LOG_LEVEL: "loud",
      PROMETHEUS_ADDR: "9100",
      LATTICE_BOOTSTRAP: "10.0.0.1:4001",
      LATTICE_DATA_DIR: "relative/dir",
      TALLY_ECDSA_SECRET_FILE: "  ",
    });
    const byVar = Object.fromEntries(problems.map((p) => [p.variable, p.message]));
    assert.match(byVar["LATTICE_CHAIN_ID"]!, /decimal chain id/);
    assert.match(byVar["LOG_LEVEL"]!, /expected one of trace, .*found "loud"/);
    assert.match(byVar["PROMETHEUS_ADDR"]!, /host:port/);
    assert.match(byVar["LATTICE_BOOTSTRAP"]!, /multiaddrs/);
    assert.match(byVar["LATTICE_DATA_DIR"]!, /absolute/);
    assert.match(byVar["TALLY_ECDSA_SECRET_FILE"]!, /empty value/);
  });

  test("the config must match LATTICE_INSTANCE and LATTICE_CHAIN_ID, even when other variables are missing", () => {
    const env = { ...fullEnv("relay-member"), LATTICE_INSTANCE: "acme.ethereum.holesky", LATTICE_CHAIN_ID: "17000" };
    delete (env as Record<string, string | undefined>)["RELAY_BLS_SECRET_FILE"];
    const byVar = Object.fromEntries(envProblems("relay-member", env).map((p) => [p.variable, p.message]));
    assert.match(byVar["LATTICE_INSTANCE"]!, /expected the config's name "acme.ethereum.mainnet", found "acme.ethereum.holesky"/);
    assert.match(byVar["LATTICE_CHAIN_ID"]!, /expected the config's chain id 1, found 17000/);
    assert.equal(byVar["RELAY_BLS_SECRET_FILE"], "required but not set");
  });

  test("a bad LATTICE_CONFIG_HEX carries the decoder's code", () => {
    const [p] = envProblems("zipnet-server", { ...fullEnv("zipnet-server"), LATTICE_CONFIG_HEX: `${HEX}00` });
    assert.equal(p!.variable, "LATTICE_CONFIG_HEX");
    assert.match(p!.message, /^LATTICE_CONFIG_TRAILING_BYTES: /);
  });

  test("chain RPC: required when the config pins none, else defaults to the pinned one", () => {
    const unpinned = goldenConfig();
    unpinned.tally.chainRpc = "";
    const hex = latticeConfigToHex(unpinned);
    assert.equal(parseRoleEnv("tally-member", fullEnv("tally-member")).chainRpc, "https://eth.example/rpc");
    const [p] = envProblems("tally-member", fullEnv("tally-member", hex));
    assert.equal(p!.variable, "TALLY_CHAIN_RPC");
    assert.match(p!.message, /config pins no chain RPC/);
    assert.equal(parseRoleEnv("tally-member", { ...fullEnv("tally-member", hex), TALLY_CHAIN_RPC: "http://127.0.0.1:8545" }).chainRpc, "http://127.0.0.1:8545");
  });

  test("an unknown role is a RoleEnvError, not a crash", () => {
    const problems = envProblems("sequencer" as RoleName, fullEnv("tally-member"));
    assert.equal(problems[0]!.variable, "(role)");
    assert.match(problems[0]!.message, /expected one of zipnet-server, .*tally-member/);
  });

  test("roleEnvSchema is a zod schema usable on its own", () => {
    const r = roleEnvSchema("zipnet-aggregator").safeParse(fullEnv("zipnet-aggregator"));
    assert.ok(r.success);
    assert.equal(r.data.secretFile, "/etc/builder/secrets/zipnet_secret_file");
  });
});
