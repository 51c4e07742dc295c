// Pure parts of public collections: wire codec, reader sequencing, quorum
// agreement and the retained log, each against a simple model.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CollectionError,
  CollectionLog,
  decodeServerFrame,
  decodeSubscribe,
  encodeEntries,
  encodeError,
  encodeSubscribe,
  QuorumAgreement,
  SequenceTracker,
  type CollectionEntry,
} from "../src/collections/index.js";

const entryRun = fc
  .tuple(
    fc.integer({ min: 1, max: 2 ** 40 }),
    fc.array(fc.record({ slot: fc.integer({ min: 0, max: 2 ** 45 }), data: fc.uint8Array({ maxLength: 64 }) }), { minLength: 1, maxLength: 20 }),
  )
  .map(([first, es]) => es.map((e, i) => ({ seq: first + i, slot: e.slot, data: e.data })));

const plain = (es: readonly CollectionEntry[]) => es.map((e) => ({ seq: e.seq, slot: e.slot, data: [...e.data] }));

describe("collection wire codec", () => {
  test("Entries frames round-trip", () => {
    fc.assert(
      fc.property(entryRun, (es) => {
        const f = decodeServerFrame(encodeEntries(es));
        assert.equal(f.type, "entries");
        assert.deepEqual(plain(f.type === "entries" ? f.entries : []), plain(es));
      }),
    );
  });

  test("Subscribe and Error frames round-trip", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.string({ maxLength: 40 }), (bySeq, v, text) => {
        const start = bySeq ? { fromSeq: v } : { fromSlot: v };
        assert.deepEqual(decodeSubscribe(encodeSubscribe(start)), start);
        assert.deepEqual(decodeServerFrame(encodeError("COLLECTION_PRUNED", text)), { type: "error", code: "COLLECTION_PRUNED", message: text });
      }),
    );
  });

  test("arbitrary bytes decode or fail with COLLECTION_DECODE", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        for (const decode of [decodeServerFrame, decodeSubscribe]) {
          try {
            decode(b);
          } catch (err) {
            assert.ok(err instanceof CollectionError, String(err));
            assert.equal(err.code, "COLLECTION_DECODE");
          }
        }
      }),
    );
  });

  const bad: { name: string; bytes: number[]; field: string }[] = [
    { name: "empty server frame", bytes: [], field: "type" },
    { name: "unknown frame type", bytes: [7], field: "type" },
    { name: "zero entries", bytes: [0, 1, 0], field: "count" },
    { name: "seq 0", bytes: [0, 0, 1, 0, 0], field: "firstSeq" },
    { name: "entry longer than the frame", bytes: [0, 1, 1, 0, 9, 1], field: "entries[0].data" },
    { name: "entry over 1 MiB", bytes: [0, 1, 1, 0, 0x81, 0x80, 0x40], field: "entries[0].length" },
    { name: "trailing bytes", bytes: [0, 1, 1, 0, 0, 0], field: "end" },
  ];
  for (const c of bad) {
    test(`rejects ${c.name}, naming "${c.field}"`, () => {
      assert.throws(() => decodeServerFrame(Uint8Array.from(c.bytes)), (err: unknown) => {
        assert.ok(err instanceof CollectionError);
        assert.equal(err.code, "COLLECTION_DECODE");
        assert.equal(err.fields.field, c.field);
        return true;
      });
    });
  }
  test("rejects a Subscribe with an unknown kind", () => {
    assert.throws(() => decodeSubscribe(Uint8Array.of(1, 5, 0)), { code: "COLLECTION_DECODE", message: /field "kind"/ });
  });
});

describe("SequenceTracker", () => {
  // A server that, on every reconnect, resumes from any seq at or before the
  // reader's resume point (at-least-once) and then sends consecutively.
  test("delivers each seq once, in order, whatever the servers resend", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(fc.tuple(fc.nat(5), fc.integer({ min: 1, max: 8 })), { maxLength: 30 }), (first, sessions) => {
        const t = new SequenceTracker();
        const delivered: number[] = [];
        for (const [back, n] of sessions) {
          const resume = t.resumeSeq() ?? first;
          const from = Math.max(first, resume - back);
          for (let s = from; s < from + n; s++) if (t.accept(s) === "deliver") delivered.push(s);
        }
        assert.deepEqual(delivered, delivered.map((_, i) => first + i));
      }),
    );
  });

  test("a skipped seq is a temporary COLLECTION_GAP naming the expected seq", () => {
    const t = new SequenceTracker();
    t.accept(4);
    assert.throws(() => t.accept(6, "peerX"), (err: unknown) => {
      assert.ok(err instanceof CollectionError);
      assert.equal(err.code, "COLLECTION_GAP");
      assert.equal(err.fields.expected, 5);
      assert.equal(err.temporary, true);
      assert.match(err.message, /peerX sent seq 6 after 4; expected 5/);
      return true;
    });
    assert.equal(t.resumeSeq(), 5);
  });
});

describe("QuorumAgreement", () => {
  // Model: honest providers serve the same stream from the same first seq;
  // liars serve different bytes. With fewer than k liars, the output is
  // always a prefix of the honest stream, in order, each entry once.
  test("yields a prefix of the honest stream, in order, under any interleaving", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.nat(), { maxLength: 400 }),
        (k, liarsWanted, n, schedule) => {
          const liars = Math.min(liarsWanted, k - 1);
          const honest = Array.from({ length: n }, (_, i) => ({ seq: 10 + i, slot: 100 + Math.floor(i / 3), data: Uint8Array.of(i) }));
          const providers = [...Array(k + liars).keys()].map((i) => ({ name: `p${i}`, liar: i >= k, pos: 0 }));
          const q = new QuorumAgreement(k, 8);
          const out: CollectionEntry[] = [];
          const step = (p: (typeof providers)[number]): void => {
            const e = honest[p.pos];
            if (e === undefined || !q.accepts(e.seq)) return;
            q.offer(p.name, p.liar ? { ...e, data: Uint8Array.of(255, p.pos) } : e);
            p.pos++;
          };
          for (const s of schedule) {
            step(providers[s % providers.length]!);
            if (s % 3 === 0) out.push(...q.take());
          }
          // Drain: every honest provider runs to the end, the reader takes as it goes.
          for (let round = 0; round < n * 2; round++) {
            for (const p of providers) step(p);
            out.push(...q.take());
          }
          assert.deepEqual(plain(out), plain(honest));
          assert.ok(q.pending <= 8 + providers.length);
        },
      ),
    );
  });

  test("equivocation stalls instead of yielding a value fewer than k providers served", () => {
    const q = new QuorumAgreement(2, 16);
    const e = (data: number): CollectionEntry => ({ seq: 1, slot: 1, data: Uint8Array.of(data) });
    q.offer("a", e(1));
    q.offer("b", e(2));
    assert.deepEqual(q.take(), []);
    q.offer("c", e(2));
    assert.deepEqual(plain(q.take()), plain([e(2)]));
  });

  test("rejects k < 1 with COLLECTION_CONFIG", () => {
    assert.throws(() => new QuorumAgreement(0, 4), { code: "COLLECTION_CONFIG", message: /Quorum k is 0/ });
  });
});

describe("CollectionLog", () => {
  test("reset(nextSeq) resumes numbering after a restore; what came before reads as pruned, by seq and by slot", () => {
    const log = new CollectionLog(new Uint8Array(32));
    log.append(1, Uint8Array.of(1));
    log.reset(5);
    assert.equal(log.append(7, Uint8Array.of(7)), 5);
    assert.equal(log.append(9, Uint8Array.of(9)), 6);
    assert.equal(log.firstSeq, 5);
    assert.equal(log.resolveStart({ fromSeq: 5 }), 5);
    assert.throws(() => log.resolveStart({ fromSeq: 4 }), { code: "COLLECTION_PRUNED" });
    // Slot 7 may have had entries below seq 5: not servable in full.
    assert.throws(() => log.resolveStart({ fromSlot: 7 }), { code: "COLLECTION_PRUNED" });
    assert.equal(log.resolveStart({ fromSlot: 8 }), 6);
    // reset() with the default starts over at 1, with nothing pruned.
    log.reset();
    assert.equal(log.append(0, Uint8Array.of(0)), 1);
    assert.equal(log.resolveStart({ fromSlot: 0 }), 1);
    assert.throws(() => log.reset(0), { code: "COLLECTION_APPEND", message: /nextSeq 0 is not a positive integer/ });
  });

  test("numbers entries 1, 2, 3…, finds slots, and serves within retention", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(3), fc.nat(40)), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 1, max: 6 }),
        (steps, maxEntries, askSlot, pageCount) => {
          const log = new CollectionLog(new Uint8Array(32), { maxEntries, maxBytes: 300 });
          const all: CollectionEntry[] = [];
          let slot = 0;
          for (const [advance, size] of steps) {
            slot += advance;
            const data = new Uint8Array(size).fill(all.length & 0xff);
            const seq = log.append(slot, data);
            all.push({ seq, slot, data });
          }
          assert.deepEqual(all.map((e) => e.seq), all.map((_, i) => i + 1));
          const kept = all.slice(all.length - log.size);
          assert.ok(log.size <= maxEntries || log.size === 1);
          assert.equal(log.firstSeq, kept[0]!.seq);
          const evicted = all.slice(0, all.length - log.size);
          const evictedThrough = evicted.length ? evicted[evicted.length - 1]!.slot : -1;
          if (askSlot <= evictedThrough) {
            assert.throws(() => log.resolveStart({ fromSlot: askSlot }), { code: "COLLECTION_PRUNED" });
          } else {
            const seq = log.resolveStart({ fromSlot: askSlot });
            const want = all.filter((e) => e.slot >= askSlot);
            assert.equal(seq, want[0]?.seq ?? log.lastSeq + 1);
            const got: CollectionEntry[] = [];
            for (let s = seq; s <= log.lastSeq; ) {
              const page = log.read(s, 50, pageCount);
              assert.ok(page.length >= 1 && page.length <= pageCount);
              got.push(...page);
              s += page.length;
            }
            assert.deepEqual(plain(got), plain(want));
          }
        },
      ),
    );
  });

  test("refuses a slot below the last one, naming both", () => {
    const log = new CollectionLog(new Uint8Array(32));
    log.append(7, Uint8Array.of(1));
    assert.throws(() => log.append(6, Uint8Array.of(2)), { code: "COLLECTION_APPEND", message: /slot 6 is below the collection's last slot 7/ });
  });

  test("refuses an entry over maxEntryBytes", () => {
    const log = new CollectionLog(new Uint8Array(32), { maxEntryBytes: 4 });
    assert.throws(() => log.append(1, new Uint8Array(5)), { code: "COLLECTION_APPEND", message: /5 bytes; at most 4/ });
  });

  test("waitFor resolves on the append that creates the seq", async () => {
    const log = new CollectionLog(new Uint8Array(32));
    const waiting = log.waitFor(2);
    log.append(1, Uint8Array.of(1));
    log.append(1, Uint8Array.of(2));
    await waiting;
    assert.equal(log.lastSeq, 2);
  });
});
