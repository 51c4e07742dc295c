import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import fc from "fast-check";
import { DaemonError } from "../src/errors.js";
import { Secret } from "../src/secret.js";
import { readSecretFile, writeSecretFile } from "../src/secretFile.js";
import { formatSecretText, parseSecretText } from "../src/secretText.js";
import { scratchDir } from "./helpers/scratchDir.js";

const HEX = "ab".repeat(32);

async function tempDir(): Promise<string> {
  return scratchDir("daemon-secret-");
}

async function writeWithMode(path: string, text: string, mode: number): Promise<void> {
  await fs.writeFile(path, text, { mode });
  await fs.chmod(path, mode);
}

function rejectsWith(code: string, includes: string[]) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof DaemonError, `expected DaemonError, got ${String(err)}`);
    assert.equal(err.code, code);
    for (const s of includes) assert.ok(err.message.includes(s), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(s)}`);
    return true;
  };
}

describe("readSecretFile", () => {
  test("refuses 0644 naming the path and the chmod fix, as ssh does", async () => {
    const dir = await tempDir();
    const path = join(dir, "peer.secret");
    await writeWithMode(path, `${HEX}\n`, 0o644);
    await assert.rejects(
      readSecretFile(path, { name: "ATELIER_SECRET_FILE" }),
      rejectsWith("DAEMON_SECRET_PERMISSIONS", ["ATELIER_SECRET_FILE", `permissions 0644 for '${path}' are too open`, `run chmod 0400 ${path}`]),
    );
  });

  test("refuses any group or other bit", async () => {
    const dir = await tempDir();
    for (const mode of [0o440, 0o404, 0o610, 0o401, 0o420]) {
      const path = join(dir, `s${mode.toString(8)}`);
      await writeWithMode(path, HEX, mode);
      await assert.rejects(readSecretFile(path, { name: "X" }), rejectsWith("DAEMON_SECRET_PERMISSIONS", [mode.toString(8).padStart(4, "0")]));
    }
  });

  test("accepts 0400 and 0600 with hex, 0x prefix and trailing newline", async () => {
    const dir = await tempDir();
    const cases: [number, string][] = [
      [0o400, `${HEX}\n`],
      [0o600, `0x${HEX}`],
      [0o400, `  ${HEX.toUpperCase()}  \n`],
    ];
    for (const [i, [mode, text]] of cases.entries()) {
      const path = join(dir, `ok${i}`);
      await writeWithMode(path, text, mode);
      const s = await readSecretFile(path, { name: "X" });
      assert.deepEqual(s.expose(), new Uint8Array(32).fill(0xab));
    }
  });

  test("missing file names the variable, the path and how to create it", async () => {
    const path = join(await tempDir(), "nope");
    await assert.rejects(readSecretFile(path, { name: "TALLY_ECDSA_SECRET_FILE" }), rejectsWith("DAEMON_SECRET_MISSING", ["TALLY_ECDSA_SECRET_FILE", path, "builder gen-secret --out"]));
  });

  test("empty, garbled, short and oversized files are refused without echoing content", async () => {
    const dir = await tempDir();
    const cases: [string, string, string][] = [
      ["empty", "", "is empty"],
      ["garbled", "zz".repeat(32), "non-hex character at offset 0"],
      ["short", "abcd", "holds 4 hex characters; expected 64"],
      ["big", "a".repeat(5000), "limit 4096 bytes"],
    ];
    for (const [name, text, expected] of cases) {
      const path = join(dir, name);
      await writeWithMode(path, text, 0o400);
      await assert.rejects(readSecretFile(path, { name: "X" }), (err: unknown) => {
        assert.ok(err instanceof DaemonError);
        assert.equal(err.code, "DAEMON_SECRET_MALFORMED");
        assert.ok(err.message.includes(expected), err.message);
        assert.ok(!err.message.includes("zzzz"), "content must not be echoed");
        return true;
      });
    }
  });

  test("a directory is not a secret file", async () => {
    const dir = await tempDir();
    await fs.chmod(dir, 0o700);
    await assert.rejects(readSecretFile(dir, { name: "X" }), rejectsWith("DAEMON_SECRET_NOT_A_FILE", [dir]));
  });

  test("a symlink is followed and its target's permissions decide (Kubernetes secret mounts)", async () => {
    const dir = await tempDir();
    const target = join(dir, "t");
    await writeWithMode(target, HEX, 0o400);
    const link = join(dir, "l");
    await fs.symlink(target, link);
    assert.equal((await readSecretFile(link, { name: "X" })).length, 32);
    await fs.chmod(target, 0o644);
    await assert.rejects(readSecretFile(link, { name: "X" }), rejectsWith("DAEMON_SECRET_PERMISSIONS", [`permissions 0644 for '${link}'`]));
  });
});

describe("writeSecretFile", () => {
  test("creates the file 0400, readable by readSecretFile, leaving no temporary file", async () => {
    const dir = await tempDir();
    const path = join(dir, "a.secret");
    const bytes = new Uint8Array(32).map((_, i) => i);
    const r = await writeSecretFile(path, bytes);
    assert.deepEqual(r, { path, overwritten: false });
    assert.equal((await fs.stat(path)).mode & 0o777, 0o400);
    assert.deepEqual((await readSecretFile(path, { name: "X" })).expose(), bytes);
    assert.deepEqual(await fs.readdir(dir), ["a.secret"]);
  });

  test("refuses to overwrite unless asked, and keeps the old content", async () => {
    const dir = await tempDir();
    const path = join(dir, "a.secret");
    await writeSecretFile(path, new Uint8Array(32).fill(1));
    await assert.rejects(writeSecretFile(path, new Uint8Array(32).fill(2)), rejectsWith("DAEMON_SECRET_EXISTS", [path, "--force"]));
    assert.deepEqual((await readSecretFile(path, { name: "X" })).expose(), new Uint8Array(32).fill(1));
    const r = await writeSecretFile(path, new Uint8Array(32).fill(3), { overwrite: true });
    assert.equal(r.overwritten, true);
    assert.deepEqual((await readSecretFile(path, { name: "X" })).expose(), new Uint8Array(32).fill(3));
    assert.equal((await fs.stat(path)).mode & 0o777, 0o400);
    assert.deepEqual(await fs.readdir(dir), ["a.secret"]);
  });

  test("a missing directory is a clear error", async () => {
    const path = join(await tempDir(), "no", "such", "f");
    await assert.rejects(writeSecretFile(path, new Uint8Array(32)), rejectsWith("DAEMON_SECRET_WRITE_FAILED", ["does not exist"]));
  });
});

describe("secret text and Secret", () => {
  test("format/parse round-trips any 32 bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        assert.deepEqual(parseSecretText(formatSecretText(bytes), { name: "X", path: "p" }), bytes);
      }),
    );
  });

  test("parse rejects every wrong length (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }).filter((b) => b.length !== 32), (bytes) => {
        assert.throws(
          () => parseSecretText(formatSecretText(bytes), { name: "X", path: "p" }),
          (e: unknown) => e instanceof DaemonError && e.code === "DAEMON_SECRET_MALFORMED",
        );
      }),
    );
  });

  test("Secret never prints its bytes", () => {
    const s = new Secret(new Uint8Array(32).fill(0xcd));
    for (const rendered of [JSON.stringify({ s }), String(s), `${s}`, inspect(s), inspect({ nested: { s } })]) {
      assert.ok(!rendered.toLowerCase().includes("cdcd") && !rendered.includes("205"), rendered);
      assert.ok(rendered.includes("[redacted]"), rendered);
    }
    assert.equal(s.expose()[0], 0xcd);
  });
});
