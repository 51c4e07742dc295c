import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { SnapshotStore, snapshotFileName } from "../src/storage/snapshot-store.js";
import type { RaftStorageError } from "../src/storage/errors.js";
import type { Snapshot } from "../src/types.js";
import { encodeSnapshot } from "../src/codec.js";
import { crc32c } from "../src/storage/crc32c.js";
import { randomBytes } from "node:crypto";

const created: string[] = [];
const tmpDir = (): string => {
  const d = fs.mkdtempSync(join(os.tmpdir(), "snap-test-"));
  created.push(d);
  return d;
};
after(() => {
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});
const snap = (index: number, term = 1, text = `state@${index}`): Snapshot => ({
  meta: { index, term, conf: { voters: ["a", "b", "c"], learners: ["d"] } },
  data: new TextEncoder().encode(text),
});

describe("SnapshotStore", () => {
  test("saves and loads the newest, keeping only the newest N", () => {
    const dir = tmpDir();
    const store = SnapshotStore.open(dir, { keep: 2 });
    for (const i of [10, 20, 30]) store.save(snap(i, 2));
    assert.equal(store.list().length, 2);
    const { snapshot, skipped } = SnapshotStore.open(dir).loadNewest();
    assert.deepEqual(snapshot, snap(30, 2));
    assert.deepEqual(skipped, []);
  });

  test("empty store loads nothing", () => {
    assert.equal(SnapshotStore.open(tmpDir()).loadNewest().snapshot, null);
  });

  test("a damaged newest snapshot is reported and the previous one is loaded", () => {
    const dir = tmpDir();
    const store = SnapshotStore.open(dir, { keep: 3 });
    store.save(snap(10));
    const newest = store.save(snap(20));
    const path = join(dir, newest);
    const buf = fs.readFileSync(path);
    buf[buf.length - 3]! ^= 0x10;
    fs.writeFileSync(path, buf);
    const { snapshot, skipped } = store.loadNewest();
    assert.deepEqual(snapshot, snap(10));
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]!.file, newest);
    assert.match(skipped[0]!.reason, /checksum mismatch/);
    assert.throws(() => store.read(newest), (e: RaftStorageError) => e.code === "RAFT_SNAPSHOT_CORRUPT" && e.message.includes(newest));
  });

  test("a truncated snapshot file is rejected with its sizes", () => {
    const dir = tmpDir();
    const store = SnapshotStore.open(dir);
    const name = store.save(snap(5));
    fs.truncateSync(join(dir, name), 20);
    assert.throws(() => store.read(name), (e: RaftStorageError) => e.code === "RAFT_SNAPSHOT_CORRUPT" && /header says \d+ body bytes, file holds 4/.test(e.message));
  });

  test("a crash between write and rename leaves the previous snapshot, and the temp file is cleaned up on open", () => {
    const dir = tmpDir();
    SnapshotStore.open(dir).save(snap(10));
    const crashing = SnapshotStore.open(dir, {
      beforeRename: () => {
        throw new Error("simulated crash before rename");
      },
    });
    assert.throws(() => crashing.save(snap(20)), /simulated crash/);
    assert.ok(fs.readdirSync(dir).some((n) => n.endsWith(".snap.tmp")), "the crash leaves a fully written temp file");
    const reopened = SnapshotStore.open(dir);
    assert.deepEqual(reopened.loadNewest().snapshot, snap(10));
    assert.ok(!fs.readdirSync(dir).some((n) => n.endsWith(".tmp")));
  });

  test("size limits are enforced on write and options are validated", () => {
    const store = SnapshotStore.open(tmpDir(), { maxBytes: 64 });
    assert.throws(() => store.save(snap(1, 1, "x".repeat(100))), (e: RaftStorageError) => e.code === "RAFT_SNAPSHOT_TOO_LARGE" && /maxBytes 64/.test(e.message));
    assert.throws(() => SnapshotStore.open(tmpDir(), { keep: 0 }), (e: RaftStorageError) => e.code === "RAFT_STORAGE_INVALID_OPTION" && /keep/.test(e.message));
  });

  test("saveAsync: the same file and pruning as save(); a failed write leaves no temp file; too large is refused before encoding", async () => {
    const dir = tmpDir();
    const store = SnapshotStore.open(dir, { keep: 2, maxBytes: 4096 });
    for (const i of [10, 20, 30]) await store.saveAsync(snap(i, 2));
    assert.equal(store.list().length, 2);
    assert.deepEqual(SnapshotStore.open(dir).loadNewest().snapshot, snap(30, 2));
    const viaSync = tmpDir();
    SnapshotStore.open(viaSync).save(snap(30, 2));
    const name = store.list()[0]!;
    assert.deepEqual(fs.readFileSync(join(dir, name)), fs.readFileSync(join(viaSync, name)), "byte-identical to save()");
    // The rename fails (a non-empty directory holds the name): the temp file goes, the store is unchanged.
    const blocked = snapshotFileName(40, 2);
    fs.mkdirSync(join(dir, blocked, "x"), { recursive: true });
    await assert.rejects(store.saveAsync(snap(40, 2)));
    assert.ok(!fs.readdirSync(dir).some((n) => n.endsWith(".tmp")), "no temp file left");
    fs.rmSync(join(dir, blocked), { recursive: true });
    assert.deepEqual(store.loadNewest().snapshot, snap(30, 2));
    await assert.rejects(store.saveAsync(snap(50, 2, "x".repeat(5000))), (e: RaftStorageError) => e.code === "RAFT_SNAPSHOT_TOO_LARGE" && /maxBytes 4096/.test(e.message));
  });

  test("the file is MAGIC | body length | crc32c(length ++ body) | encodeSnapshot(s), written without copying the data (both paths)", async () => {
    // Data across several checksum slices, and none at all.
    for (const data of [new Uint8Array(randomBytes(700_000)), new Uint8Array(0)]) {
      const s: Snapshot = { meta: { index: 7, term: 3, conf: { voters: ["a"], learners: [] } }, data };
      const body = encodeSnapshot(s);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(body.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32LE(crc32c(body, crc32c(len)));
      const expected = Buffer.concat([Buffer.from("BLRAFTSN"), len, crc, body]);
      const a = tmpDir();
      const b = tmpDir();
      SnapshotStore.open(a).save(s);
      await SnapshotStore.open(b).saveAsync(s);
      for (const d of [a, b]) assert.ok(fs.readFileSync(join(d, snapshotFileName(7, 3))).equals(expected), `${data.length} bytes via ${d === a ? "save" : "saveAsync"}`);
      assert.deepEqual(SnapshotStore.open(b).loadNewest().snapshot, s);
    }
  });
});
