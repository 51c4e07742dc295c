import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { openDurableStorage } from "../src/storage/durable-storage.js";
import { SnapshotStore, snapshotFileName } from "../src/storage/snapshot-store.js";
import type { Entry, HardState, Snapshot } from "../src/types.js";

const created: string[] = [];
const tmpDir = (): string => {
  const d = fs.mkdtempSync(join(os.tmpdir(), "durable-test-"));
  created.push(d);
  return d;
};
after(() => {
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});
const entry = (index: number, term = 1): Entry => ({ index, term, kind: "normal", data: new TextEncoder().encode(`e${index}`) });
const range = (from: number, to: number, term = 1): Entry[] => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));
const conf = { voters: ["a", "b", "c"], learners: [] };
const ready = (entries: Entry[], hardState: HardState | null = null, snapshot: Snapshot | null = null) => ({ entries, hardState, snapshot, mustSync: true });

describe("DurableStorage", () => {
  test("a fresh dir is empty; bootstrap survives a reopen", () => {
    const dir = tmpDir();
    const s = openDurableStorage(dir);
    assert.equal(s.isEmpty(), true);
    s.bootstrap(conf, new Uint8Array([7]));
    s.close();
    const r = openDurableStorage(dir);
    assert.equal(r.isEmpty(), false);
    assert.deepEqual(r.initialState(), { hardState: { term: 1, vote: null, commit: 1 }, conf });
    assert.equal(r.firstIndex(), 2);
    assert.deepEqual(r.snapshot().data, new Uint8Array([7]));
    r.close();
  });

  test("saved entries and hard state come back after reopen, with fsync latency measured", async () => {
    const dir = tmpDir();
    const fsyncs: number[] = [];
    const s = openDurableStorage(dir, { metrics: { fsyncLatencySeconds: (x) => fsyncs.push(x) } });
    s.bootstrap(conf, new Uint8Array());
    await s.save(ready(range(2, 10, 2), { term: 2, vote: "a", commit: 5 }));
    await s.save(ready([entry(8, 3), entry(9, 3)], { term: 3, vote: "b", commit: 7 }));
    assert.equal(fsyncs.length, 2);
    assert.ok(fsyncs.every((x) => x > 0));
    s.close();
    const r = openDurableStorage(dir);
    assert.deepEqual(r.entries(2, r.lastIndex() + 1), [...range(2, 7, 2), entry(8, 3), entry(9, 3)]);
    assert.deepEqual(r.initialState().hardState, { term: 3, vote: "b", commit: 7 });
    r.close();
  });

  test("createSnapshot compacts memory and WAL; reopen starts from the snapshot", async () => {
    const dir = tmpDir();
    const s = openDurableStorage(dir, { wal: { segmentBytes: 300 }, retainEntries: 5, snapshots: { keep: 2 } });
    s.bootstrap(conf, new Uint8Array());
    for (let i = 2; i <= 60; i += 2) await s.save(ready([entry(i), entry(i + 1)], { term: 1, vote: "a", commit: i + 1 }));
    const segsBefore = s.walSegments;
    await s.createSnapshot(30, conf, new Uint8Array([30]));
    await s.createSnapshot(50, conf, new Uint8Array([50]));
    assert.equal(s.firstIndex(), 46);
    assert.ok(s.walSegments < segsBefore, `WAL segments ${segsBefore} -> ${s.walSegments}`);
    s.close();
    const r = openDurableStorage(dir);
    assert.equal(r.recovery.snapshotIndex, 50);
    assert.equal(r.firstIndex(), 51);
    assert.deepEqual(r.entries(51, 62), range(51, 61));
    r.close();
  });

  /** Entries 2..41 in a WAL of many small segments; one snapshot file kept. */
  const withEntries = async (dir: string) => {
    const s = openDurableStorage(dir, { wal: { segmentBytes: 300 }, retainEntries: 5, snapshots: { keep: 1 } });
    s.bootstrap(conf, new Uint8Array());
    for (let i = 2; i <= 40; i += 2) await s.save(ready([entry(i), entry(i + 1)], { term: 1, vote: "a", commit: i + 1 }));
    return s;
  };

  test("createSnapshot changes memory at once and writes the file off the event loop", async () => {
    const dir = tmpDir();
    const s = await withEntries(dir);
    const segsBefore = s.walSegments;
    const snapFiles = (): string[] => fs.readdirSync(join(dir, "snap")).filter((n) => n.endsWith(".snap"));
    const filesBefore = snapFiles();
    const written = s.createSnapshot(30, conf, new Uint8Array([30]));
    // Synchronously: the core already reads the new snapshot; nothing touched the disk yet.
    assert.equal(s.snapshot().meta.index, 30);
    assert.equal(s.firstIndex(), 26);
    assert.deepEqual(snapFiles(), filesBefore);
    assert.equal(s.walSegments, segsBefore);
    // Appends go on while the file is written.
    await s.save(ready([entry(42)], { term: 1, vote: "a", commit: 42 }));
    const snap = await written;
    assert.equal(snap.meta.index, 30);
    assert.ok(snapFiles().includes(snapshotFileName(30, 1)));
    assert.ok(s.walSegments < segsBefore, `WAL segments ${segsBefore} -> ${s.walSegments}`);
    s.close();
    const r = openDurableStorage(dir);
    assert.equal(r.recovery.snapshotIndex, 30);
    assert.deepEqual(r.entries(31, 43), range(31, 42));
    r.close();
  });

  test("a snapshot that cannot be written rejects, compacts no WAL, and a restart recovers every entry", async () => {
    const dir = tmpDir();
    const s = await withEntries(dir);
    const segsBefore = s.walSegments;
    // A directory where the temp file must go: open(…, "w") fails as a full or broken disk would.
    const blocker = join(dir, "snap", `${snapshotFileName(30, 1)}.tmp`);
    fs.mkdirSync(blocker);
    await assert.rejects(s.createSnapshot(30, conf, new Uint8Array([30])), (e: NodeJS.ErrnoException) => e.code === "EISDIR");
    assert.equal(s.walSegments, segsBefore);
    // The next snapshot is not held up by the failed one.
    await s.createSnapshot(36, conf, new Uint8Array([36]));
    assert.ok(s.walSegments < segsBefore);
    s.close();
    fs.rmdirSync(blocker);
    const r = openDurableStorage(dir);
    assert.equal(r.recovery.snapshotIndex, 36);
    assert.deepEqual(r.entries(37, 42), range(37, 41));
    r.close();
  });

  test("a received snapshot replaces the log, also across a restart", async () => {
    const dir = tmpDir();
    const s = openDurableStorage(dir);
    s.bootstrap(conf, new Uint8Array());
    await s.save(ready(range(2, 8, 1), { term: 1, vote: null, commit: 3 }));
    const snap: Snapshot = { meta: { index: 100, term: 4, conf }, data: new Uint8Array([1, 0, 0]) };
    await s.save(ready([entry(101, 4)], { term: 4, vote: null, commit: 101 }, snap));
    assert.equal(s.firstIndex(), 101);
    s.close();
    const r = openDurableStorage(dir);
    assert.deepEqual(r.snapshot(), snap);
    assert.deepEqual(r.entries(101, 102), [entry(101, 4)]);
    r.close();
  });

  test("a crash after a received snapshot was saved but before its marker reached the WAL drops the stale suffix", async () => {
    const dir = tmpDir();
    const s = openDurableStorage(dir);
    s.bootstrap(conf, new Uint8Array());
    await s.save(ready(range(2, 12, 1), { term: 1, vote: null, commit: 3 }));
    s.close();
    // Only the snapshot file made it (written by a second handle, as save() would before appending its marker).
    const snap: Snapshot = { meta: { index: 10, term: 5, conf }, data: new Uint8Array([9]) };
    SnapshotStore.open(join(dir, "snap")).save(snap);
    const r = openDurableStorage(dir);
    assert.equal(r.lastIndex(), 10, "entries 11..12 had term 1 at index 10, not the snapshot's term 5");
    assert.deepEqual(r.initialState().hardState, { term: 5, vote: null, commit: 10 });
    r.close();
  });
});
