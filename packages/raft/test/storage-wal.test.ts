import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { Wal } from "../src/storage/wal.js";
import { WalCorruptError, RaftStorageError } from "../src/storage/errors.js";
import { decodePayload, encodeRecord, readFrame, type WalRecord } from "../src/storage/wal-record.js";
import { crc32c } from "../src/storage/crc32c.js";
import type { Entry, HardState } from "../src/types.js";

const created: string[] = [];
const tmpDir = (): string => {
  const d = fs.mkdtempSync(join(os.tmpdir(), "wal-test-"));
  created.push(d);
  return d;
};
after(() => {
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});
const entry = (index: number, term = 1, data = `e${index}`): Entry => ({ index, term, kind: "normal", data: new TextEncoder().encode(data) });
const entries = (from: number, to: number, term = 1): Entry[] => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));
const segFiles = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.endsWith(".wal")).sort();
const lastSeg = (dir: string): string => join(dir, segFiles(dir).at(-1)!);

/** Files that end at their last record (no preallocated zeros): for tests that cut or flip bytes by file position. */
const EXACT = { preallocateBytes: 0 } as const;

function writeWal(dir: string, recs: WalRecord[], opts: { segmentBytes?: number; preallocateBytes?: number } = {}): void {
  const { wal } = Wal.open(dir, opts);
  wal.append(recs);
  wal.syncNow();
  wal.close();
}

describe("crc32c", () => {
  test("matches the published check value and chains", () => {
    const b = new TextEncoder().encode("123456789");
    assert.equal(crc32c(b), 0xe3069283);
    assert.equal(crc32c(b.subarray(4), crc32c(b.subarray(0, 4))), 0xe3069283);
  });
  test("chunked equals whole for any split (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const k = bytes.length ? cut % bytes.length : 0;
        return crc32c(bytes.subarray(k), crc32c(bytes.subarray(0, k))) === crc32c(bytes);
      }),
    );
  });
  test("equals the bit-at-a-time definition at every length and buffer alignment (property)", () => {
    const reference = (bytes: Uint8Array, crc = 0): number => {
      let c = ~crc >>> 0;
      for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 7 }), fc.nat(), (bytes, offset, seed) => {
        // The same bytes at every offset of a larger buffer: the word loads must not depend on where they sit.
        const host = new Uint8Array(offset + bytes.length);
        host.set(bytes, offset);
        const view = host.subarray(offset);
        return crc32c(view) === reference(bytes) && crc32c(view, seed >>> 0) === reference(bytes, seed >>> 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe("WAL record codec", () => {
  const arbEntry = fc.record({
    term: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    index: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    kind: fc.constantFrom("normal", "noop", "conf" as const),
    data: fc.uint8Array({ maxLength: 200 }),
  }, { noNullPrototype: true });
  const arbRecord: fc.Arbitrary<WalRecord> = fc.oneof(
    fc.record({ type: fc.constant("segmentHeader" as const), seq: fc.nat({ max: 0xffffffff }) }, { noNullPrototype: true }),
    fc.record({ type: fc.constant("entry" as const), entry: arbEntry }, { noNullPrototype: true }),
    fc.record({
      type: fc.constant("hardState" as const),
      hardState: fc.record({ term: fc.nat({ max: Number.MAX_SAFE_INTEGER }), commit: fc.nat({ max: Number.MAX_SAFE_INTEGER }), vote: fc.option(fc.string({ maxLength: 60 })) }, { noNullPrototype: true }),
    }, { noNullPrototype: true }),
    fc.record({ type: fc.constant("snapshotMarker" as const), index: fc.nat({ max: Number.MAX_SAFE_INTEGER }), term: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }, { noNullPrototype: true }),
  );

  test("encode → frame → decode round-trips every record (property)", () => {
    fc.assert(
      fc.property(arbRecord, (r) => {
        const f = readFrame(encodeRecord(r), 0, 1 << 20);
        assert.ok(f.ok);
        assert.deepEqual(decodePayload(f.type, f.payload), r);
      }),
    );
  });

  test("any single flipped bit is detected (property)", () => {
    fc.assert(
      fc.property(arbRecord, fc.nat(), fc.integer({ min: 0, max: 7 }), (r, at, bit) => {
        const bytes = encodeRecord(r);
        bytes[at % bytes.length]! ^= 1 << bit;
        return !readFrame(bytes, 0, 1 << 20).ok;
      }),
    );
  });

  test("a vote too long for its u16 length field is refused, not truncated", () => {
    assert.throws(
      () => encodeRecord({ type: "hardState", hardState: { term: 1, commit: 0, vote: "v".repeat(70_000) } }),
      (e: RaftStorageError) => e.code === "RAFT_WAL_RECORD_TOO_LARGE" && /hardState\.vote is 70000/.test(e.message),
    );
  });

  test("a length above the record limit is rejected before reading the body", () => {
    const bytes = encodeRecord({ type: "entry", entry: entry(1, 1, "x".repeat(100)) });
    const f = readFrame(bytes, 0, 50);
    assert.equal(f.ok, false);
    assert.match(!f.ok ? f.reason : "", /exceeds the 50-byte record limit/);
  });
});

describe("WAL", () => {
  test("recovers entries and the last hard state after reopen", () => {
    const dir = tmpDir();
    const hs: HardState = { term: 3, vote: "n2", commit: 4 };
    writeWal(dir, [...entries(1, 5).map((e) => ({ type: "entry" as const, entry: e })), { type: "hardState", hardState: hs }]);
    const { wal, recovery } = Wal.open(dir);
    wal.close();
    assert.deepEqual(recovery.entries, entries(1, 5));
    assert.deepEqual(recovery.hardState, hs);
    assert.equal(recovery.tornTail, null);
  });

  test("an entry at or below the last index overwrites the suffix (Raft §5.3 conflict)", () => {
    const dir = tmpDir();
    writeWal(dir, [...entries(1, 6).map((e) => ({ type: "entry" as const, entry: e })), { type: "entry", entry: entry(4, 2, "new") }]);
    const { wal, recovery } = Wal.open(dir);
    wal.close();
    assert.deepEqual(recovery.entries, [...entries(1, 3), entry(4, 2, "new")]);
  });

  test("a snapshot marker discards the log before it; recovery needs that snapshot", () => {
    const dir = tmpDir();
    writeWal(dir, [
      ...entries(1, 4).map((e) => ({ type: "entry" as const, entry: e })),
      { type: "snapshotMarker", index: 10, term: 2 },
      { type: "entry", entry: entry(11, 2) },
    ]);
    const { wal, recovery } = Wal.open(dir, { snapshot: { index: 10, term: 2 } });
    wal.close();
    assert.deepEqual(recovery.entries, [entry(11, 2)]);
    assert.throws(() => Wal.verify(dir, { snapshot: { index: 3, term: 1 } }), (e: RaftStorageError) => e.code === "RAFT_WAL_SNAPSHOT_MISSING");
  });

  test("matches an in-memory model over random appends, overwrites and rotations (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ back: fc.nat({ max: 3 }), count: fc.integer({ min: 1, max: 5 }), size: fc.nat({ max: 80 }) }), { minLength: 1, maxLength: 25 }),
        (ops) => {
          const dir = tmpDir();
          const model: Entry[] = [];
          let term = 1;
          const { wal } = Wal.open(dir, { segmentBytes: 256 });
          for (const op of ops) {
            const from = Math.max(1, model.length + 1 - op.back);
            if (op.back) term++;
            model.length = from - 1;
            const batch = Array.from({ length: op.count }, (_, i) => entry(from + i, term, "x".repeat(op.size)));
            model.push(...batch);
            wal.append(batch.map((e) => ({ type: "entry" as const, entry: e })));
            wal.append([{ type: "hardState", hardState: { term, vote: null, commit: 0 } }]);
          }
          wal.syncNow();
          wal.close();
          const r = Wal.verify(dir);
          assert.deepEqual(r.entries, model);
          assert.equal(r.hardState?.term, term);
          fs.rmSync(dir, { recursive: true });
        },
      ),
      { numRuns: 40 },
    );
  });

  test("record bytes are the documented little-endian layout (the on-disk format must not drift)", () => {
    const frame = (type: number, payload: number[]): number[] => {
      const len = [payload.length & 0xff, (payload.length >> 8) & 0xff, 0, 0];
      const crc = crc32c(new Uint8Array([type, ...payload]), crc32c(new Uint8Array(len)));
      return [...len, crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24, type, ...payload];
    };
    const u64 = (n: number): number[] => [0, 1, 2, 3, 4, 5, 6, 7].map((i) => Math.floor(n / 2 ** (8 * i)) % 256);
    const ascii = (t: string): number[] => [...t].map((c) => c.charCodeAt(0));
    const cases: [WalRecord, number[]][] = [
      [{ type: "segmentHeader", seq: 0x01020304 }, frame(1, [...ascii("BLRAFTWL"), 1, 0, 4, 3, 2, 1])],
      [{ type: "entry", entry: { index: 7, term: 0x0102030405, kind: "conf", data: new Uint8Array([0xaa, 0xbb]) } }, frame(2, [...u64(0x0102030405), ...u64(7), 2, 0xaa, 0xbb])],
      [{ type: "hardState", hardState: { term: 2 ** 40 + 3, commit: 9, vote: "né" } }, frame(3, [...u64(2 ** 40 + 3), ...u64(9), 3, 0, ...Buffer.from("né", "utf8")])],
      [{ type: "hardState", hardState: { term: 1, commit: 0, vote: null } }, frame(3, [...u64(1), ...u64(0), 0xff, 0xff])],
      [{ type: "snapshotMarker", index: 300, term: 5 }, frame(4, [...u64(300), ...u64(5)])],
    ];
    for (const [r, bytes] of cases) assert.deepEqual([...encodeRecord(r)], bytes, r.type);
    // A batch encoded in one buffer is the concatenation of the records.
    const dir = tmpDir();
    const { wal } = Wal.open(dir, EXACT);
    const before = fs.statSync(join(dir, fs.readdirSync(dir)[0]!)).size;
    wal.append(cases.map(([r]) => r).filter((r) => r.type !== "segmentHeader"));
    wal.syncNow();
    wal.close();
    const file = fs.readFileSync(join(dir, fs.readdirSync(dir)[0]!));
    assert.deepEqual([...file.subarray(before)], cases.filter(([r]) => r.type !== "segmentHeader").flatMap(([, b]) => b));
  });

  test("rotates at the segment limit and compaction drops only whole covered segments", async () => {
    const dir = tmpDir();
    const { wal } = Wal.open(dir, { segmentBytes: 200 });
    for (let i = 1; i <= 30; i++) wal.append([{ type: "entry", entry: entry(i) }, { type: "hardState", hardState: { term: 1, vote: "a", commit: i } }]);
    wal.syncNow();
    const before = wal.segmentCount;
    assert.ok(before > 3, `expected several segments, got ${before}`);
    const removed = await wal.compact(15);
    assert.ok(removed >= 1);
    wal.close();
    const r = Wal.verify(dir, { snapshot: { index: 15, term: 1 } });
    assert.deepEqual(r.entries, entries(16, 30));
    // The hard state survives deletion of the segment that first held it.
    assert.deepEqual(r.hardState, { term: 1, vote: "a", commit: 30 });
    // Without a snapshot covering the dropped prefix, recovery refuses the gap.
    assert.throws(() => Wal.verify(dir), (e: RaftStorageError) => e.code === "RAFT_WAL_GAP");
  });


  test("compaction runs while a sync is in flight and leaves the active segment alone", async () => {
    const dir = tmpDir();
    const { wal } = Wal.open(dir, { segmentBytes: 200 });
    for (let i = 1; i <= 20; i++) wal.append([{ type: "entry", entry: entry(i) }]);
    const before = wal.segmentCount;
    const syncing = wal.sync();
    const removed = await wal.compact(10);
    await syncing;
    assert.ok(removed >= 1 && wal.segmentCount === before - removed, `removed ${removed} of ${before}`);
    for (let i = 21; i <= 25; i++) wal.append([{ type: "entry", entry: entry(i) }]);
    await wal.sync();
    wal.close();
    const r = Wal.verify(dir, { snapshot: { index: 10, term: 1 } });
    assert.deepEqual(r.entries, entries(11, 25));
    await assert.rejects(wal.compact(30), (e: RaftStorageError) => e.code === "RAFT_WAL_CLOSED");
  });
  test("a missing middle segment is a gap error naming the entries", () => {
    const dir = tmpDir();
    writeWal(dir, entries(1, 30).map((e) => ({ type: "entry" as const, entry: e })), { segmentBytes: 100 });
    const { wal } = Wal.open(dir, { segmentBytes: 100 });
    for (let i = 31; i <= 40; i++) wal.append([{ type: "entry", entry: entry(i) }]);
    wal.close();
    const segs = segFiles(dir);
    assert.ok(segs.length >= 3);
    fs.rmSync(join(dir, segs[1]!));
    assert.throws(() => Wal.verify(dir), (e: RaftStorageError) => e.code === "RAFT_WAL_GAP" && /missing segment|missing/.test(e.message));
  });

  test("torn tail: a file cut mid-record recovers the prefix, reports it, and accepts new appends", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.nat(), (n, cutSeed) => {
        const dir = tmpDir();
        writeWal(dir, entries(1, n).map((e) => ({ type: "entry" as const, entry: e })), EXACT);
        const path = lastSeg(dir);
        const size = fs.statSync(path).size;
        const lastRecord = encodeRecord({ type: "entry", entry: entry(n) }).length;
        // Cut strictly inside the last record.
        const cut = size - lastRecord + 1 + (cutSeed % (lastRecord - 1));
        fs.truncateSync(path, cut);
        const { wal, recovery } = Wal.open(dir, EXACT);
        assert.deepEqual(recovery.entries, entries(1, n - 1));
        assert.equal(recovery.tornTail?.offset, size - lastRecord);
        assert.equal(recovery.tornTail?.droppedBytes, cut - (size - lastRecord));
        wal.append([{ type: "entry", entry: entry(n, 2) }]);
        wal.syncNow();
        wal.close();
        assert.deepEqual(Wal.verify(dir).entries, [...entries(1, n - 1), entry(n, 2)]);
        fs.rmSync(dir, { recursive: true });
      }),
      { numRuns: 30 },
    );
  });

  test("a flipped byte in the tail record is detected and truncated", () => {
    const dir = tmpDir();
    writeWal(dir, entries(1, 5).map((e) => ({ type: "entry" as const, entry: e })), EXACT);
    const path = lastSeg(dir);
    const buf = fs.readFileSync(path);
    buf[buf.length - 2]! ^= 0x40;
    fs.writeFileSync(path, buf);
    const { wal, recovery } = Wal.open(dir, EXACT);
    wal.close();
    assert.deepEqual(recovery.entries, entries(1, 4));
    assert.match(recovery.tornTail?.reason ?? "", /checksum mismatch/);
    assert.equal(fs.statSync(path).size, recovery.tornTail?.offset);
  });

  test("a flipped byte mid-log with valid records after it is a hard error naming segment and offset", () => {
    const dir = tmpDir();
    writeWal(dir, entries(1, 5).map((e) => ({ type: "entry" as const, entry: e })));
    const path = lastSeg(dir);
    const buf = fs.readFileSync(path);
    const header = encodeRecord({ type: "segmentHeader", seq: 1 }).length;
    const rec = encodeRecord({ type: "entry", entry: entry(1) }).length;
    const third = header + 2 * rec;
    buf[third + 12]! ^= 0x01;
    fs.writeFileSync(path, buf);
    const sizeBefore = buf.length;
    assert.throws(
      () => Wal.open(dir),
      (e: WalCorruptError) => {
        assert.equal(e.code, "RAFT_WAL_CORRUPT");
        assert.equal(e.segment, segFiles(dir).at(-1));
        assert.equal(e.offset, third);
        assert.match(e.message, /0000000000000001\.wal at byte \d+: checksum mismatch/);
        return true;
      },
    );
    assert.equal(fs.statSync(path).size, sizeBefore, "a corrupt WAL must not be truncated");
  });

  test("any flipped byte is either the torn tail (last record) or a hard error; never wrong data (property)", () => {
    const dir = tmpDir();
    const n = 8;
    writeWal(dir, entries(1, n).map((e) => ({ type: "entry" as const, entry: e })), EXACT);
    const path = lastSeg(dir);
    const original = fs.readFileSync(path);
    const lastStart = original.length - encodeRecord({ type: "entry", entry: entry(n) }).length;
    fc.assert(
      fc.property(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const buf = Buffer.from(original);
        buf[at]! ^= mask;
        fs.writeFileSync(path, buf);
        if (at >= lastStart) {
          const r = Wal.verify(dir);
          assert.deepEqual(r.entries, entries(1, n - 1));
          assert.equal(r.tornTail?.offset, lastStart);
        } else {
          assert.throws(() => Wal.verify(dir), (e: RaftStorageError) => e.code === "RAFT_WAL_CORRUPT");
        }
      }),
      { numRuns: 200 },
    );
  });

  test("damage in a sealed segment is corruption even at its end", () => {
    const dir = tmpDir();
    writeWal(dir, entries(1, 20).map((e) => ({ type: "entry" as const, entry: e })), { segmentBytes: 120 });
    const first = join(dir, segFiles(dir)[0]!);
    const buf = fs.readFileSync(first);
    buf[buf.length - 1]! ^= 0xff;
    fs.writeFileSync(first, buf);
    assert.throws(() => Wal.verify(dir), (e: WalCorruptError) => e.code === "RAFT_WAL_CORRUPT" && /sealed/.test(e.message));
  });

  test("a torn write that lost a middle sector (zeros) before a surviving record is treated as torn", () => {
    const dir = tmpDir();
    const big = "z".repeat(1500);
    writeWal(dir, [{ type: "entry", entry: entry(1) }], EXACT);
    const { wal } = Wal.open(dir, EXACT);
    wal.append([{ type: "entry", entry: entry(2, 1, big) }, { type: "entry", entry: entry(3) }]);
    wal.close();
    const path = lastSeg(dir);
    const buf = fs.readFileSync(path);
    const start = buf.length - encodeRecord({ type: "entry", entry: entry(3) }).length - encodeRecord({ type: "entry", entry: entry(2, 1, big) }).length;
    const sector = Math.ceil((start + 100) / 512) * 512;
    buf.fill(0, sector, sector + 512);
    fs.writeFileSync(path, buf);
    const r = Wal.verify(dir);
    assert.deepEqual(r.entries, [entry(1)]);
    assert.equal(r.tornTail?.offset, start);
  });

  test("preallocated zeros: appends land after the last record across reopens; sealed segments keep none (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 150, max: 2500 }),
        fc.array(fc.record({ count: fc.integer({ min: 1, max: 6 }), size: fc.integer({ min: 0, max: 200 }), reopen: fc.boolean() }), { minLength: 1, maxLength: 15 }),
        (preallocateBytes, segmentBytes, batches) => {
          const dir = tmpDir();
          // Every reopen switches preallocation on or off: zeros left by one setting must be handled by the other.
          let opts = { preallocateBytes, segmentBytes };
          let { wal } = Wal.open(dir, opts);
          const model: Entry[] = [];
          for (const b of batches) {
            const batch = Array.from({ length: b.count }, (_, i) => entry(model.length + 1 + i, 1, "p".repeat(b.size)));
            wal.append(batch.map((e) => ({ type: "entry" as const, entry: e })));
            wal.syncNow();
            model.push(...batch);
            if (b.reopen) {
              wal.close();
              opts = { preallocateBytes: opts.preallocateBytes === 0 ? preallocateBytes : 0, segmentBytes };
              const reopened = Wal.open(dir, opts);
              assert.equal(reopened.recovery.tornTail, null, "preallocated zeros are not a torn tail");
              wal = reopened.wal;
            }
          }
          wal.close();
          // verify() reads sealed segments strictly: zeros left in one would be corruption.
          const r = Wal.verify(dir);
          assert.deepEqual(r.entries, model);
          assert.equal(r.tornTail, null);
          fs.rmSync(dir, { recursive: true });
        },
      ),
      { numRuns: 60 },
    );
  });

  test("preallocated zeros: appends inside them leave the file size alone (so fdatasync has no size to commit); reopen reports them", () => {
    const dir = tmpDir();
    const { wal } = Wal.open(dir, { preallocateBytes: 64 * 1024 });
    wal.append([{ type: "entry", entry: entry(1) }]);
    wal.syncNow();
    const path = lastSeg(dir);
    const size = fs.statSync(path).size;
    for (let i = 2; i <= 50; i++) {
      wal.append([{ type: "entry", entry: entry(i, 1, "q".repeat(300)) }]);
      wal.syncNow();
      assert.equal(fs.statSync(path).size, size, `append ${i} changed the file size`);
    }
    wal.close();
    const end = encodeRecord({ type: "segmentHeader", seq: 1 }).length + [entry(1), ...Array.from({ length: 49 }, (_, k) => entry(k + 2, 1, "q".repeat(300)))].reduce((n, e) => n + encodeRecord({ type: "entry", entry: e }).length, 0);
    const r = Wal.verify(dir);
    assert.equal(r.entries.length, 50);
    assert.equal(r.tornTail, null);
    assert.equal(r.zeroTailBytes, size - end);
    fs.rmSync(dir, { recursive: true });
  });

  test("preallocated zeros: a torn write inside them is cut off and reported, a flipped zero loses nothing", () => {
    for (const damage of ["torn", "flip"] as const) {
      const dir = tmpDir();
      writeWal(dir, entries(1, 5).map((e) => ({ type: "entry" as const, entry: e })), { preallocateBytes: 4096 });
      const path = lastSeg(dir);
      const end = encodeRecord({ type: "segmentHeader", seq: 1 }).length + entries(1, 5).reduce((n, e) => n + encodeRecord({ type: "entry", entry: e }).length, 0);
      const buf = fs.readFileSync(path);
      assert.ok(buf.length > end && buf.subarray(end).every((x) => x === 0), `records end at ${end}, zeros after them to ${buf.length}`);
      if (damage === "torn") buf.set(encodeRecord({ type: "entry", entry: entry(6) }).subarray(0, 20), end);
      else buf[end + 1000]! ^= 0x10;
      fs.writeFileSync(path, buf);
      const { wal, recovery } = Wal.open(dir, { preallocateBytes: 4096 });
      assert.deepEqual(recovery.entries, entries(1, 5), damage);
      assert.equal(recovery.tornTail?.offset, end, damage);
      assert.equal(recovery.tornTail?.droppedBytes, buf.length - end, damage);
      assert.equal(fs.statSync(path).size, end, `${damage}: cut at the last record`);
      wal.append([{ type: "entry", entry: entry(6, 2) }]);
      wal.syncNow();
      wal.close();
      assert.deepEqual(Wal.verify(dir).entries, [...entries(1, 5), entry(6, 2)], damage);
      fs.rmSync(dir, { recursive: true });
    }
  });

  test("append after close fails with a typed error; bad options name the option", () => {
    const dir = tmpDir();
    const { wal } = Wal.open(dir);
    wal.close();
    assert.throws(() => wal.append([{ type: "entry", entry: entry(1) }]), (e: RaftStorageError) => e.code === "RAFT_WAL_CLOSED");
    assert.throws(() => Wal.open(dir, { segmentBytes: -1 }), (e: RaftStorageError) => e.code === "RAFT_STORAGE_INVALID_OPTION" && /segmentBytes/.test(e.message));
    assert.throws(() => Wal.open(dir, { preallocateBytes: 1.5 }), (e: RaftStorageError) => e.code === "RAFT_STORAGE_INVALID_OPTION" && /preallocateBytes/.test(e.message));
  });
});
