import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ROLE_NAMES, roleEnvVariables } from "@builder/lattice-config";

const SYSTEMD = fileURLToPath(new URL("../../../deploy/systemd/", import.meta.url));

function envKeys(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

describe("deploy/systemd", () => {
  test("builder@.service is the seed's unit", async () => {
    const unit = await readFile(`${SYSTEMD}builder@.service`, "utf8");
    const directives = unit.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    assert.deepEqual(directives, [
      "[Unit]",
      "Description=Builder lattice role %i",
      "After=network-online.target",
      "Wants=network-online.target",
      "[Service]",
      "EnvironmentFile=/etc/builder/common.env",
      "EnvironmentFile=/etc/builder/%i.env",
      "ExecStart=/usr/local/bin/%i",
      "Restart=on-failure",
      "RestartSec=5s",
      "[Install]",
      "WantedBy=multi-user.target",
    ]);
  });

  test("common.env plus each role's env file set every required variable and only known ones", async () => {
    const common = envKeys(await readFile(`${SYSTEMD}common.env.example`, "utf8"));
    for (const role of ROLE_NAMES) {
      const own = envKeys(await readFile(`${SYSTEMD}${role}.env.example`, "utf8"));
      const merged = new Map([...common, ...own]);
      const specs = roleEnvVariables(role);
      for (const v of specs.filter((s) => s.required)) assert.ok(merged.has(v.name), `${role}: ${v.name} missing`);
      const known = new Set(specs.map((s) => s.name));
      for (const k of merged.keys()) assert.ok(known.has(k), `${role}: ${k} is not a variable the role reads`);
    }
  });

  test("the atelier env file carries the seed runbook's lines in order", async () => {
    const text = await readFile(`${SYSTEMD}atelier-member.env.example`, "utf8");
    const seed = [
      "# /etc/builder/atelier-member.env",
      "LATTICE_INSTANCE=acme.ethereum.mainnet",
      "LATTICE_CHAIN_ID=1",
      "LATTICE_CONFIG_HEX=7f3a9b1c...",
      "ATELIER_COMMITTEE_SECRET_FILE=/etc/builder/secrets/acme.ethereum.mainnet.atelier.secret",
      "ATELIER_BLS_SECRET_FILE=/etc/builder/secrets/acme.ethereum.mainnet.atelier.member-01.bls",
      "ATELIER_SECRET_FILE=/etc/builder/secrets/acme.ethereum.mainnet.atelier.member-01.peer",
      "# Chain RPC for simulation.",
      "ATELIER_CHAIN_RPC=https://eth-mainnet.g.alchemy.com/v2/...",
    ];
    assert.deepEqual(text.split("\n").slice(0, seed.length), seed);
  });

  test("each role listens on its own metrics port", async () => {
    const ports = await Promise.all(ROLE_NAMES.map(async (r) => envKeys(await readFile(`${SYSTEMD}${r}.env.example`, "utf8")).get("PROMETHEUS_ADDR")));
    assert.equal(new Set(ports).size, ROLE_NAMES.length);
  });
});
