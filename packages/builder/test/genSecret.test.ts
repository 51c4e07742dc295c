import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { readSecretFile } from "@builder/daemon";
import { runTs } from "./helpers/child.js";
import { scratchDir } from "../../daemon/test/helpers/scratchDir.js";

describe("builder gen-secret (child process)", () => {
  test("without --out prints 64 hex characters and a newline; two runs differ", async () => {
    const a = await runTs("builder.ts", ["gen-secret"]);
    const b = await runTs("builder.ts", ["gen-secret"]);
    assert.equal(a.code, 0);
    assert.match(a.stdout, /^[0-9a-f]{64}\n$/);
    assert.equal(a.stderr, "");
    assert.notEqual(a.stdout, b.stdout);
  });

  test("--out writes a 0400 file the daemons accept, refuses to overwrite, and --force replaces it", async () => {
    const dir = await scratchDir("gen-secret-");
    const out = join(dir, "acme.ethereum.mainnet.atelier.secret");

    const first = await runTs("builder.ts", ["gen-secret", "--out", out]);
    assert.equal(first.code, 0);
    assert.equal(first.stdout, `wrote ${out} (32 random bytes as hex, mode 0400)\n`);
    assert.equal((await fs.stat(out)).mode & 0o777, 0o400);
    const original = (await readSecretFile(out, { name: "--out" })).expose();
    assert.ok(!first.stdout.includes(Buffer.from(original).toString("hex")), "the secret is not printed");

    const again = await runTs("builder.ts", ["gen-secret", "--out", out]);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, "");
    assert.equal(again.stderr, `builder gen-secret: DAEMON_SECRET_EXISTS: refusing to overwrite existing secret file '${out}'; pass --force to replace it (the old secret is lost)\n`);
    assert.deepEqual((await readSecretFile(out, { name: "--out" })).expose(), original, "old secret kept");

    const forced = await runTs("builder.ts", ["gen-secret", "--out", out, "--force"]);
    assert.equal(forced.code, 0);
    assert.equal(forced.stdout, `replaced ${out} (32 random bytes as hex, mode 0400)\n`);
    assert.notDeepEqual((await readSecretFile(out, { name: "--out" })).expose(), original);
    assert.equal((await fs.stat(out)).mode & 0o777, 0o400);
    assert.deepEqual(await fs.readdir(dir), ["acme.ethereum.mainnet.atelier.secret"]);
  });

  test("an unknown command through the real bin: one line, exit 2, no stack", async () => {
    const r = await runTs("builder.ts", ["gen-secrte"]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "builder: unknown command 'gen-secrte'; did you mean 'gen-secret'? (see builder --help)\n");
  });
});
