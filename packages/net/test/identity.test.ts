import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLatticeHost } from "../src/host.js";
import { parseSecret, peerKeyFromSecret } from "../src/identity.js";
import { NetError } from "../src/errors.js";

describe("peer identity", () => {
  test("the same secret file yields the same PeerId across restarts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "net-id-"));
    try {
      const file = join(dir, "member.peer");
      await writeFile(file, "11".repeat(32) + "\n", { mode: 0o400 });
      const a = await createLatticeHost({ secretKeyFile: file });
      const idA = a.libp2p.peerId.toString();
      await a.stop();
      const b = await createLatticeHost({ secretKeyFile: file });
      const idB = b.libp2p.peerId.toString();
      await b.stop();
      assert.equal(idA, idB);
      assert.match(idA, /^12D3KooW/, "an Ed25519 peer id");
      const other = await peerKeyFromSecret(new Uint8Array(32).fill(0x12));
      assert.notDeepEqual(other.publicKey.raw, (await peerKeyFromSecret(new Uint8Array(32).fill(0x11))).publicKey.raw);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("hex and raw secrets decode to the same bytes", () => {
    const raw = new Uint8Array(32).map((_, i) => i);
    const hex = Buffer.from(raw).toString("hex");
    assert.deepEqual(parseSecret(new TextEncoder().encode(` ${hex}\n`), "f"), raw);
    assert.deepEqual(parseSecret(raw, "f"), raw);
  });

  test("a malformed secret file is a typed error naming the file", async () => {
    assert.throws(
      () => parseSecret(new TextEncoder().encode("not a secret"), "/etc/x.peer"),
      (e: unknown) => e instanceof NetError && e.code === "NET_SECRET_FILE" && e.message.includes("/etc/x.peer"),
    );
    await assert.rejects(
      createLatticeHost({ secretKeyFile: "/nonexistent/secret" }),
      (e: unknown) => e instanceof NetError && e.code === "NET_SECRET_FILE",
    );
  });

  test("a bootstrap address without /p2p is refused with the expected shape", async () => {
    await assert.rejects(
      createLatticeHost({ secret: new Uint8Array(32), bootstrap: ["/ip4/127.0.0.1/tcp/1"] }),
      (e: unknown) => e instanceof NetError && e.code === "NET_CONFIG" && e.message.includes("/p2p/"),
    );
  });
});
