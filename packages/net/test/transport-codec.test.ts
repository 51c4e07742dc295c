import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeBatch, encodeBatch, encodeFramedBatch, MAX_BATCH_MESSAGES, RaftTransportError, SendQueue } from "../src/raft-transport/index.js";
import { readVarint } from "../src/raft-transport/varint.js";
import { FrameDecoder } from "../src/raft-transport/frame-decoder.js";

const parts = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 });

describe("raft transport batch frame", () => {
  test("a frame filled by the writer's budget never exceeds the reader's frame limit", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 310, max: 2000 }), (sizes, maxFrame) => {
        const q = new SendQueue({ maxMessages: 1000, maxBytes: 1 << 20 });
        for (const n of sizes) q.push({ bytes: new Uint8Array(n), droppable: false });
        while (q.length > 0) {
          const frame = encodeBatch(q.take(maxFrame - 6, 5, MAX_BATCH_MESSAGES));
          assert.ok(frame.length <= maxFrame, `frame of ${frame.length} bytes over the ${maxFrame}-byte limit`);
        }
      }),
    );
  });

  test("round-trips any batch of messages", () => {
    fc.assert(
      fc.property(parts, (msgs) => {
        const back = decodeBatch(encodeBatch(msgs), 1024);
        assert.deepEqual(back.map((b) => [...b]), msgs.map((b) => [...b]));
      }),
    );
  });

  test("the framed encoding is the frame behind its varint length prefix, in one buffer", () => {
    fc.assert(
      fc.property(parts, (msgs) => {
        const framed = encodeFramedBatch(msgs);
        const frame = encodeBatch(msgs);
        const [len, off] = readVarint(framed, 0, "length", (f) => new Error(f));
        assert.equal(len, frame.length);
        assert.deepEqual([...framed.subarray(off)], [...frame]);
      }),
    );
  });

  test("arbitrary bytes decode or fail with RAFT_TRANSPORT_FRAME, never another error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeBatch(bytes, 64);
        } catch (err) {
          assert.ok(err instanceof RaftTransportError, String(err));
          assert.equal(err.code, "RAFT_TRANSPORT_FRAME");
        }
      }),
    );
  });

  test("every strict prefix of a non-empty frame is rejected", () => {
    fc.assert(
      fc.property(parts.filter((p) => p.length > 0), (msgs) => {
        const frame = encodeBatch(msgs);
        for (let cut = 0; cut < frame.length; cut++) {
          assert.throws(() => decodeBatch(frame.subarray(0, cut), 1024), { code: "RAFT_TRANSPORT_FRAME" });
        }
      }),
      { numRuns: 50 },
    );
  });

  const cases: { name: string; frame: number[]; field: string }[] = [
    { name: "empty", frame: [], field: "version" },
    { name: "unknown version", frame: [2, 0], field: "version" },
    { name: "trailing bytes", frame: [1, 0, 7], field: "end" },
    { name: "inner length over the limit", frame: [1, 1, 0x81, 0x01, ...new Array(129).fill(0)], field: "messages[0].length" },
    { name: "inner length past the end", frame: [1, 1, 5, 1, 2], field: "messages[0]" },
    { name: "padded varint", frame: [1, 0x80, 0x00], field: "count" },
    { name: "count over the cap", frame: [1, ...varint(MAX_BATCH_MESSAGES + 1)], field: "count" },
  ];
  for (const c of cases) {
    test(`rejects ${c.name}, naming field "${c.field}"`, () => {
      assert.throws(() => decodeBatch(Uint8Array.from(c.frame), 128), (err: unknown) => {
        assert.ok(err instanceof RaftTransportError);
        assert.equal(err.code, "RAFT_TRANSPORT_FRAME");
        assert.equal(err.fields.field, c.field);
        assert.match(err.message, new RegExp(`field "${c.field.replace(/[[\]]/g, "\\$&")}"`));
        return true;
      });
    });
  }
});

describe("raft transport frame decoder (the receive side of encodeFramedBatch)", () => {
  /** Cuts `bytes` at the given points into chunks, the way TCP, Noise and Yamux may deliver them. */
  const cut = (bytes: Uint8Array, at: number[]): Uint8Array[] => {
    const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
    const out: Uint8Array[] = [];
    let prev = 0;
    for (const p of [...points, bytes.length]) {
      out.push(bytes.subarray(prev, p));
      prev = p;
    }
    return out;
  };

  test("property: any split of a stream of frames into chunks (single or lists) yields the frames, in order, as copies", () => {
    fc.assert(
      fc.property(fc.array(parts, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (batches, at, asLists) => {
        const framed = batches.map((b) => encodeFramedBatch(b));
        const stream = new Uint8Array(framed.reduce((n, f) => n + f.length, 0));
        let off = 0;
        for (const f of framed) (stream.set(f, off), (off += f.length));
        const d = new FrameDecoder(1 << 20);
        const got: Uint8Array[] = [];
        const chunks = cut(stream, at);
        if (asLists) for (let i = 0; i < chunks.length; i += 2) got.push(...d.push(chunks.slice(i, i + 2)));
        else for (const c of chunks) got.push(...d.push(c));
        assert.equal(d.pendingBytes, 0);
        assert.deepEqual(got.map((g) => decodeBatch(g, 1024).map((m) => [...m])), batches.map((b) => b.map((m) => [...m])));
        stream.fill(0);
        if (got[0] && got[0].length > 0) assert.notEqual(got[0][0], 0, "a frame is a view into the input instead of a copy");
      }),
    );
  });

  test("a length above maxFrameBytes, a zero-padded or an over-long prefix is RAFT_TRANSPORT_FRAME; a partial frame is held, not lost", () => {
    const tooBig = encodeFramedBatch([new Uint8Array(100)]);
    assert.throws(() => new FrameDecoder(50).push(tooBig), (e: unknown) => e instanceof RaftTransportError && e.code === "RAFT_TRANSPORT_FRAME" && /exceeds the limit of 50/.test(e.message));
    assert.throws(() => new FrameDecoder(1000).push(Uint8Array.of(0x81, 0x00)), (e: unknown) => e instanceof RaftTransportError && /minimal varint/.test(e.message));
    assert.throws(() => new FrameDecoder(1000).push(new Uint8Array(9).fill(0x80)), (e: unknown) => e instanceof RaftTransportError && /at most 8 bytes/.test(e.message));
    const d = new FrameDecoder(1000);
    const f = encodeFramedBatch([Uint8Array.of(1, 2, 3)]);
    assert.deepEqual(d.push(f.subarray(0, 3)), []);
    assert.equal(d.pendingBytes, 2, "prefix consumed, two frame bytes held");
    const [frame] = d.push(f.subarray(3));
    assert.deepEqual(decodeBatch(frame!, 10).map((m) => [...m]), [[1, 2, 3]]);
  });
});

describe("raft transport send queue", () => {
  // Model: every push is numbered; the queue must hold a subsequence of the
  // pushes in order, within the bounds, always keeping the newest.
  const op = fc.oneof(
    fc.record({ kind: fc.constant("push" as const), size: fc.integer({ min: 0, max: 50 }), droppable: fc.boolean() }),
    fc.record({
      kind: fc.constant("take" as const),
      budget: fc.integer({ min: 0, max: 200 }),
      overhead: fc.integer({ min: 0, max: 5 }),
      maxCount: fc.integer({ min: 1, max: 10 }),
    }),
  );
  test("stays within its bounds, keeps order and the newest message, sheds heartbeats first", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 120 }), fc.array(op, { maxLength: 80 }), (maxMessages, maxBytes, ops) => {
        const q = new SendQueue({ maxMessages, maxBytes });
        let model: { id: number; size: number; droppable: boolean }[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === "push") {
            const id = next++;
            const bytes = new Uint8Array(Math.max(o.size, 4));
            new DataView(bytes.buffer).setUint32(0, id);
            const before = model.length;
            const dropped = q.push({ bytes, droppable: o.droppable });
            model.push({ id, size: bytes.length, droppable: o.droppable });
            // Model of the shedding rule: first droppable (excluding the newest), else the oldest.
            for (let i = 0; i < dropped; i++) {
              let v = model.slice(0, -1).findIndex((m) => m.droppable);
              if (v < 0) v = 0;
              model.splice(v, 1);
            }
            assert.equal(q.length, before + 1 - dropped);
            const bytesNow = model.reduce((s, m) => s + m.size, 0);
            assert.equal(q.byteLength, bytesNow);
            assert.ok(q.length <= maxMessages || q.length === 1);
            assert.ok(q.byteLength <= maxBytes || q.length === 1);
          } else {
            const got = q.take(o.budget, o.overhead, o.maxCount).map((b) => new DataView(b.buffer, b.byteOffset).getUint32(0));
            const expectCount = (() => {
              let n = 0;
              let s = 0;
              for (const m of model) {
                if (n === o.maxCount || (n > 0 && s + m.size + o.overhead > o.budget)) break;
                n++;
                s += m.size + o.overhead;
              }
              return n;
            })();
            assert.deepEqual(got, model.slice(0, expectCount).map((m) => m.id));
            model = model.slice(expectCount);
          }
        }
      }),
    );
  });
});

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
