import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeCommand, decodeSnapshotData, encodeCommand, encodeSnapshotData, type DedupeRecord } from "../src/driver/envelope.js";
import { DedupeTable } from "../src/driver/dedupe.js";
import { RaftDriverError } from "../src/driver/errors.js";

const arbRequest = fc.record({ clientId: fc.string({ minLength: 1, maxLength: 40 }), seq: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }, { noNullPrototype: true });

describe("command envelope", () => {
  test("round-trips commands with and without a request id (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.option(arbRequest, { nil: undefined }), (cmd, req) => {
        const d = decodeCommand(encodeCommand(cmd, req), 1);
        assert.deepEqual(d.request, req ?? null);
        assert.deepEqual(Uint8Array.from(d.command), cmd);
      }),
    );
  });

  test("arbitrary bytes decode or fail with RAFT_COMMAND_INVALID naming the index, never anything else (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeCommand(bytes, 42);
        } catch (err) {
          assert.ok(err instanceof RaftDriverError, String(err));
          assert.equal(err.code, "RAFT_COMMAND_INVALID");
          assert.match(err.message, /at index 42/);
        }
      }),
    );
  });

  test("rejects an empty client id and a negative seq with the field named", () => {
    assert.throws(() => encodeCommand(new Uint8Array(), { clientId: "", seq: 1 }), /requestId\.clientId/);
    assert.throws(() => encodeCommand(new Uint8Array(), { clientId: "c", seq: -1 }), /requestId\.seq/);
  });
});

describe("snapshot data", () => {
  test("round-trips the dedupe table and the machine bytes (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.nat(), fc.oneof(fc.integer(), fc.string(), fc.uint8Array()))), fc.uint8Array(), (rows, machine) => {
        const table = new Map<string, DedupeRecord>(rows.map(([c, seq, result]) => [c, { seq, result }]));
        const d = decodeSnapshotData(encodeSnapshotData(table, machine), 9);
        assert.deepEqual([...d.table], [...table]);
        assert.deepEqual(Uint8Array.from(d.machine), machine);
      }),
    );
  });

  test("a dedupe length past the end is a typed error", () => {
    const bad = new Uint8Array([0xff, 0, 0, 0, 1]);
    assert.throws(() => decodeSnapshotData(bad, 3), (e: RaftDriverError) => e.code === "RAFT_COMMAND_INVALID" && /dedupe table of 255 bytes/.test(e.message));
  });
});

describe("DedupeTable", () => {
  test("applies each (client, seq) at most once and answers retries with the first result, like a model (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.nat({ max: 5 })), { maxLength: 60 }), (reqs) => {
        const t = new DedupeTable(new Map(), 100);
        const model = new Map<string, { seq: number; result: number }>();
        let applied = 0;
        for (const [i, [clientId, seq]] of reqs.entries()) {
          const last = model.get(clientId);
          let got: number | "stale";
          try {
            got = t.apply({ clientId, seq }, i, () => ++applied);
          } catch (err) {
            assert.equal((err as RaftDriverError).code, "RAFT_REQUEST_STALE");
            got = "stale";
          }
          if (last && seq < last.seq) assert.equal(got, "stale");
          else if (last && seq === last.seq) assert.equal(got, last.result);
          else {
            assert.equal(got, applied);
            model.set(clientId, { seq, result: applied });
          }
        }
      }),
    );
  });

  test("forgets the least recently applied client beyond maxClients", () => {
    const t = new DedupeTable(new Map(), 2);
    t.apply({ clientId: "a", seq: 1 }, 1, () => 1);
    t.apply({ clientId: "b", seq: 1 }, 2, () => 2);
    t.apply({ clientId: "a", seq: 2 }, 3, () => 3);
    t.apply({ clientId: "c", seq: 1 }, 4, () => 4);
    assert.deepEqual([...t.entries.keys()], ["a", "c"]);
  });
});
