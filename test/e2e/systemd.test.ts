// The shipped unit is the seed quickstart's unit, and systemd accepts it for
// every role: `systemd-analyze verify` against an alternate root that holds
// the unit, the stock targets it refers to, and an executable per role at
// the path ExecStart names (/usr/local/bin/%i).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROLES } from "@builder/lattice-config";
import { REPO_ROOT, SHARED_DIR } from "./lib/repo.js";

const UNIT = join(REPO_ROOT, "deploy/systemd/builder@.service");
const SEED = join(SHARED_DIR, "seeds/000_b21c625a67ef361e.txt");
const SYSTEM_UNITS = "/usr/lib/systemd/system";

const meaningful = (text: string): string[] =>
  text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));

function seedUnit(): string[] {
  const seed = readFileSync(SEED, "utf8");
  const start = seed.indexOf("# /etc/systemd/system/builder@.service");
  const end = seed.indexOf("WantedBy=multi-user.target", start);
  assert.ok(start >= 0 && end > start, `seed ${SEED} no longer contains the builder@.service example`);
  return meaningful(seed.slice(start, end + "WantedBy=multi-user.target".length));
}

/** A throw-away root with the stock targets (copied: symlinks would point outside it). */
function makeRoot(unitText: string, roles: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), "builder-systemd-"));
  const lib = join(root, SYSTEM_UNITS);
  mkdirSync(lib, { recursive: true });
  for (const f of readdirSync(SYSTEM_UNITS)) {
    const p = join(SYSTEM_UNITS, f);
    if ((f.endsWith(".target") || f.endsWith(".slice")) && lstatSync(p).isFile()) copyFileSync(p, join(lib, f));
  }
  mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
  writeFileSync(join(root, "etc/systemd/system/builder@.service"), unitText);
  mkdirSync(join(root, "usr/local/bin"), { recursive: true });
  for (const role of roles) {
    const exe = join(root, "usr/local/bin", role);
    writeFileSync(exe, `#!/bin/sh\nexec node ${join(REPO_ROOT, "packages/builder/dist/bin", role)}.js "$@"\n`);
    chmodSync(exe, 0o755);
  }
  return root;
}

function verify(root: string, role: string) {
  const r = spawnSync("systemd-analyze", ["verify", `--root=${root}`, `builder@${role}.service`], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr.trim() };
}

const roleNames = ROLES.map((r) => r.name);

test("deploy/systemd/builder@.service is the seed quickstart's unit", () => {
  assert.deepEqual(meaningful(readFileSync(UNIT, "utf8")), seedUnit());
});

test("systemd-analyze verify accepts builder@<role> for all seven roles", () => {
  assert.equal(roleNames.length, 7);
  const root = makeRoot(readFileSync(UNIT, "utf8"), roleNames);
  try {
    for (const role of roleNames) {
      const r = verify(root, role);
      // An unknown key only warns (exit 0), so stderr must be empty too.
      assert.deepEqual(r, { status: 0, stderr: "" }, `builder@${role}.service`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the check has teeth: a bad value and a missing executable are reported", () => {
  const bad = readFileSync(UNIT, "utf8").replace(/RestartSec=.*/, "RestartSec=soon");
  const root = makeRoot(bad, ["atelier-member"]);
  try {
    const r = verify(root, "atelier-member");
    assert.match(r.stderr, /RestartSec|sec value/);
    const missing = verify(root, "tally-member");
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /\/usr\/local\/bin\/tally-member/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
