import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeConfChange, decodeConfState, decodeEntry, decodeHardState, decodeMessage, decodeSnapshot,
  encodeConfChange, encodeConfState, encodeEntry, encodeHardState, encodeMessage, encodeSnapshot,
} from "../src/codec.js";
import { CodecError } from "../src/errors.js";
import type { ConfChange, Entry, HardState, Message, Snapshot } from "../src/types.js";

// Decoders build ordinary objects; compare against the same shape.
const plain = { noNullPrototype: true } as const;
const uint = fc.oneof(fc.nat(1000), fc.maxSafeNat());
const nodeId = fc.string({ minLength: 0, maxLength: 20, unit: "grapheme" });
const bytes = fc.uint8Array({ maxLength: 64 });
const entry: fc.Arbitrary<Entry> = fc.record({ term: uint, index: uint, kind: fc.constantFrom("normal", "noop", "conf"), data: bytes }, plain);
const conf = fc.record(
  { voters: fc.array(nodeId, { maxLength: 7 }), learners: fc.array(nodeId, { maxLength: 3 }), autoPromote: fc.array(nodeId, { minLength: 1, maxLength: 2 }) },
  { ...plain, requiredKeys: ["voters", "learners"] },
);
const snapshot: fc.Arbitrary<Snapshot> = fc.record({ meta: fc.record({ index: uint, term: uint, conf }, plain), data: bytes }, plain);
const hardState: fc.Arbitrary<HardState> = fc.record({ term: uint, vote: fc.option(nodeId, { nil: null }), commit: uint }, plain);
const confChange: fc.Arbitrary<ConfChange> = fc.oneof(
  fc.record({ type: fc.constantFrom("addLearner" as const, "promoteLearner" as const, "removeNode" as const), node: nodeId }, plain),
  fc.record({ type: fc.constant("replaceVoter" as const), remove: nodeId, add: nodeId }, plain),
);
const message: fc.Arbitrary<Message> = fc.record({
  type: fc.constantFrom("preVote", "preVoteResp", "vote", "voteResp", "append", "appendResp", "heartbeat", "heartbeatResp", "snapshot", "timeoutNow", "readIndex", "readIndexResp"),
  from: nodeId, to: nodeId, term: uint, logTerm: uint, index: uint,
  entries: fc.array(entry, { maxLength: 5 }), commit: uint, reject: fc.boolean(), rejectHint: uint,
  snapshot: fc.option(snapshot, { nil: null }), context: bytes,
}, plain);

function codecError(fn: () => unknown, field: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected CodecError, got ${String(e)}`);
    assert.equal(e.code, "RAFT_CODEC");
    if (typeof field === "string") assert.equal(e.field, field);
    else assert.match(e.field, field);
    assert.match(e.message, /expected .* received/);
    return true;
  });
}

describe("codec round trips (property)", () => {
  test("Entry", () => fc.assert(fc.property(entry, (e) => assert.deepEqual(decodeEntry(encodeEntry(e)), e))));
  test("HardState", () => fc.assert(fc.property(hardState, (h) => assert.deepEqual(decodeHardState(encodeHardState(h)), h))));
  test("ConfChange", () => fc.assert(fc.property(confChange, (c) => assert.deepEqual(decodeConfChange(encodeConfChange(c)), c))));
  test("ConfState", () => fc.assert(fc.property(conf, (c) => assert.deepEqual(decodeConfState(encodeConfState(c)), c))));
  test("Snapshot", () => fc.assert(fc.property(snapshot, (s) => assert.deepEqual(decodeSnapshot(encodeSnapshot(s)), s))));
  test("Message", () => fc.assert(fc.property(message, (m) => assert.deepEqual(decodeMessage(encodeMessage(m)), m))));
  test("every strict prefix of an encoding is rejected with a CodecError, never a crash", () =>
    fc.assert(
      fc.property(message, fc.nat(), (m, cut) => {
        const b = encodeMessage(m);
        const prefix = b.subarray(0, cut % b.length);
        codecError(() => decodeMessage(prefix), /./);
      }),
    ));
  test("arbitrary bytes decode or fail with CodecError", () =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        for (const dec of [decodeMessage, decodeEntry, decodeHardState, decodeConfChange, decodeSnapshot] as const) {
          try {
            dec(b);
          } catch (e) {
            assert.ok(e instanceof CodecError, `${dec.name} threw ${String(e)}`);
          }
        }
      }),
    ));
});

describe("codec malformed input", () => {
  const e: Entry = { term: 3, index: 7, kind: "normal", data: new Uint8Array([1, 2, 3]) };
  const cases: { name: string; run: () => unknown; field: string }[] = [
    { name: "empty input", run: () => decodeEntry(new Uint8Array()), field: "version" },
    { name: "unknown version", run: () => decodeEntry(Uint8Array.of(9, ...encodeEntry(e).subarray(1))), field: "version" },
    { name: "trailing byte", run: () => decodeEntry(Uint8Array.of(...encodeEntry(e), 0)), field: "end" },
    { name: "bad entry kind", run: () => decodeEntry(Uint8Array.of(1, 3, 7, 9, 0)), field: "entry.kind" },
    { name: "data length beyond input", run: () => decodeEntry(Uint8Array.of(1, 3, 7, 0, 50, 1)), field: "entry.data" },
    { name: "zero-padded varint", run: () => decodeEntry(Uint8Array.of(1, 0x83, 0x00, 7, 0, 0)), field: "entry.term" },
    { name: "varint above 2^53", run: () => decodeEntry(Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 7, 0, 0)), field: "entry.term" },
    { name: "vote flag not 0/1", run: () => decodeHardState(Uint8Array.of(1, 1, 2, 0)), field: "hardState.vote.present" },
    { name: "invalid UTF-8 vote", run: () => decodeHardState(Uint8Array.of(1, 1, 1, 1, 0xff, 0)), field: "hardState.vote" },
    { name: "unknown conf change type", run: () => decodeConfChange(Uint8Array.of(1, 8, 0)), field: "confChange.type" },
    { name: "unknown message type", run: () => decodeMessage(Uint8Array.of(1, 42)), field: "message.type" },
    {
      name: "message over maxBytes",
      run: () => decodeMessage(encodeMessage({ type: "append", from: "a", to: "b", term: 1, logTerm: 0, index: 0, entries: [e], commit: 0, reject: false, rejectHint: 0, snapshot: null, context: new Uint8Array() }), { maxBytes: 8 }),
      field: "input",
    },
    { name: "not a Uint8Array", run: () => decodeMessage("hello" as unknown as Uint8Array), field: "input" },
    { name: "entry count larger than the input could hold", run: () => decodeMessage(Uint8Array.of(1, 4, 0, 0, 1, 0, 0, 0, 0, 0, 100)), field: "message.entries.length" },
  ];
  for (const c of cases) test(c.name, () => codecError(c.run, c.field));

  test("encoding a negative or fractional integer names the field", () => {
    codecError(() => encodeEntry({ ...e, term: -1 }), "entry.term");
    codecError(() => encodeHardState({ term: 1, vote: null, commit: 1.5 }), "hardState.commit");
  });
});
