// The wire and WAL format, pinned byte for byte. These encodings were produced
// by the codec before its single-buffer rewrite; a WAL written by one version
// must be readable by the next and peers of both versions must interoperate,
// so any change here is a format change (bump CODEC_VERSION), never a refactor.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeConfChange, decodeConfState, decodeEntry, decodeHardState, decodeMessage, decodeSnapshot,
  encodeConfChange, encodeConfState, encodeEntry, encodeHardState, encodeMessage, encodeSnapshot,
} from "../src/codec.js";
import type { ConfState, Entry, Message, MessageType, Snapshot } from "../src/types.js";

const ID1 = "12D3KooWGzh1N7Lq1ZkTn6YgYcHv7wJrUbkQXRdBq3xNn5v9Uf3a";
const ID2 = "12D3KooWPeer2xYZ";
const e1: Entry = { term: 3, index: 7, kind: "normal", data: Uint8Array.of(1, 2, 3) };
const e2: Entry = { term: 2 ** 53 - 1, index: 128, kind: "conf", data: new Uint8Array(0) };
const e3: Entry = { term: 16384, index: 300, kind: "noop", data: new Uint8Array(200).map((_, i) => i) };
const conf: ConfState = { voters: [ID1, ID2, "ñ"], learners: ["l1"], autoPromote: ["l1"] };
const snap: Snapshot = { meta: { index: 1000, term: 5, conf }, data: Uint8Array.of(9, 8, 7) };
const base = {
  from: ID1, to: ID2, term: 5, logTerm: 4, index: 129, commit: 127, reject: false, rejectHint: 0,
  snapshot: null, context: new Uint8Array(0), entries: [],
};
const msg = (type: MessageType, over: Partial<Message> = {}): Message => ({ ...base, type, ...over });

const GOLDEN = {
  entry:
    "0103070003010203",
  entryMax:
    "01ffffffffffffff0f80010200",
  hardStateNull:
    "010900ac02",
  hardStateVote:
    "01090105f09f98807800",
  confState:
    "010334313244334b6f6f57477a68314e374c71315a6b546e3659675963487637774a7255626b51585264427133784e6e3576" +
    "395566336110313244334b6f6f57506565723278595a02c3b101026c3101026c31",
  confStateNoAuto:
    "010101610000",
  confChange:
    "0101016e",
  confChangeReplace:
    "01030161026262",
  snapshot:
    "01e807050334313244334b6f6f57477a68314e374c71315a6b546e3659675963487637774a7255626b51585264427133784e" +
    "6e3576395566336110313244334b6f6f57506565723278595a02c3b101026c3101026c3103090807",
  append:
    "010434313244334b6f6f57477a68314e374c71315a6b546e3659675963487637774a7255626b51585264427133784e6e3576" +
    "395566336110313244334b6f6f57506565723278595a050481017f00000303070003010203ffffffffffffff0f8001020080" +
    "8001ac0201c801000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a" +
    "2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c" +
    "5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e" +
    "8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0" +
    "c1c2c3c4c5c6c70000",
  appendResp:
    "010510313244334b6f6f57506565723278595a34313244334b6f6f57477a68314e374c71315a6b546e365967596348763777" +
    "4a7255626b51585264427133784e6e35763955663361050481017f01c801000000",
  heartbeat:
    "010634313244334b6f6f57477a68314e374c71315a6b546e3659675963487637774a7255626b51585264427133784e6e3576" +
    "395566336110313244334b6f6f57506565723278595a050481017f0000000002aabb",
  snapshotMsg:
    "010834313244334b6f6f57477a68314e374c71315a6b546e3659675963487637774a7255626b51585264427133784e6e3576" +
    "395566336110313244334b6f6f57506565723278595a050481017f00000001e807050334313244334b6f6f57477a68314e37" +
    "4c71315a6b546e3659675963487637774a7255626b51585264427133784e6e3576395566336110313244334b6f6f57506565" +
    "723278595a02c3b101026c3101026c310309080700",
  readIndexResp:
    "010b0006e697a5e69cacffffffffffffff0f0481017f0000000000",} as const;

const cases: { name: keyof typeof GOLDEN; encode: () => Uint8Array; decode: (b: Uint8Array) => unknown; value: unknown }[] = [
  { name: "entry", value: e1, encode: () => encodeEntry(e1), decode: decodeEntry },
  { name: "entryMax", value: e2, encode: () => encodeEntry(e2), decode: decodeEntry },
  { name: "hardStateNull", value: { term: 9, vote: null, commit: 300 }, encode: () => encodeHardState({ term: 9, vote: null, commit: 300 }), decode: decodeHardState },
  { name: "hardStateVote", value: { term: 9, vote: "😀x", commit: 0 }, encode: () => encodeHardState({ term: 9, vote: "😀x", commit: 0 }), decode: decodeHardState },
  { name: "confState", value: conf, encode: () => encodeConfState(conf), decode: decodeConfState },
  { name: "confStateNoAuto", value: { voters: ["a"], learners: [] }, encode: () => encodeConfState({ voters: ["a"], learners: [] }), decode: decodeConfState },
  { name: "confChange", value: { type: "promoteLearner", node: "n" }, encode: () => encodeConfChange({ type: "promoteLearner", node: "n" }), decode: decodeConfChange },
  { name: "confChangeReplace", value: { type: "replaceVoter", remove: "a", add: "bb" }, encode: () => encodeConfChange({ type: "replaceVoter", remove: "a", add: "bb" }), decode: decodeConfChange },
  { name: "snapshot", value: snap, encode: () => encodeSnapshot(snap), decode: decodeSnapshot },
  ...([
    ["append", msg("append", { entries: [e1, e2, e3] })],
    ["appendResp", msg("appendResp", { from: ID2, to: ID1, reject: true, rejectHint: 200 })],
    ["heartbeat", msg("heartbeat", { context: Uint8Array.of(0xaa, 0xbb) })],
    ["snapshotMsg", msg("snapshot", { snapshot: snap })],
    ["readIndexResp", msg("readIndexResp", { from: "", to: "日本", term: 2 ** 53 - 1 })],
  ] as const).map(([name, m]) => ({ name, value: m, encode: () => encodeMessage(m), decode: decodeMessage })),
];

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

describe("codec golden encodings", () => {
  for (const c of cases) {
    test(`${c.name}: encodes to the pinned bytes and decodes back`, () => {
      const bytes = c.encode();
      assert.equal(hex(bytes), GOLDEN[c.name]);
      assert.deepEqual(c.decode(fromHex(GOLDEN[c.name])), c.value);
    });
  }

  test("encodings carved from the shared slab never overwrite one another, across slab boundaries", () => {
    const first = encodeMessage(msg("append", { entries: [e1, e2, e3] }));
    const kept: Uint8Array[] = [];
    // ~1.2 MiB of messages of varied sizes (some above the slab's per-message limit) rolls over several slabs.
    for (let i = 0; i < 600; i++) {
      const data = new Uint8Array((i * 97) % 20_000).fill(i & 0xff);
      kept.push(encodeMessage(msg("append", { index: i, entries: [{ term: 1, index: i, kind: "normal", data }] })));
    }
    assert.equal(hex(first), GOLDEN.append);
    kept.forEach((b, i) => {
      const m = decodeMessage(b);
      assert.equal(m.index, i);
      assert.ok(m.entries[0]!.data.every((x) => x === (i & 0xff)));
    });
  });
});

// An independent, deliberately naive encoder of the documented layout: the
// optimised codec must produce the same bytes for every message, not just the
// pinned ones.
function specMessage(m: Message): Uint8Array {
  const out: number[] = [];
  const uint = (v: number): void => {
    while (v >= 128) {
      out.push((v % 128) + 128);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  const bytes = (b: Uint8Array): void => {
    uint(b.length);
    out.push(...b);
  };
  const str = (s: string): void => bytes(new TextEncoder().encode(s));
  const strs = (a: readonly string[]): void => {
    uint(a.length);
    a.forEach(str);
  };
  const types = ["preVote", "preVoteResp", "vote", "voteResp", "append", "appendResp", "heartbeat", "heartbeatResp", "snapshot", "timeoutNow", "readIndex", "readIndexResp"];
  out.push(1, types.indexOf(m.type));
  str(m.from);
  str(m.to);
  [m.term, m.logTerm, m.index, m.commit].forEach(uint);
  out.push(m.reject ? 1 : 0);
  uint(m.rejectHint);
  uint(m.entries.length);
  for (const e of m.entries) {
    uint(e.term);
    uint(e.index);
    out.push(["normal", "noop", "conf"].indexOf(e.kind));
    bytes(e.data);
  }
  out.push(m.snapshot === null ? 0 : 1);
  if (m.snapshot !== null) {
    uint(m.snapshot.meta.index);
    uint(m.snapshot.meta.term);
    strs(m.snapshot.meta.conf.voters);
    strs(m.snapshot.meta.conf.learners);
    strs(m.snapshot.meta.conf.autoPromote ?? []);
    bytes(m.snapshot.data);
  }
  bytes(m.context);
  return Uint8Array.from(out);
}

describe("codec against the layout spec (property)", () => {
  const plain = { noNullPrototype: true } as const;
  const uint = fc.oneof(fc.nat(300), fc.integer({ min: 2 ** 13, max: 2 ** 22 }), fc.maxSafeNat());
  // Node ids mix ASCII, multi-byte UTF-8 and surrogate pairs, and repeat, so any id cache is exercised.
  const nodeId = fc.oneof(fc.constantFrom(ID1, ID2, "ñ", "日本", ""), fc.string({ maxLength: 20, unit: "grapheme" }));
  const bytes = fc.uint8Array({ maxLength: 300 });
  const entry: fc.Arbitrary<Entry> = fc.record({ term: uint, index: uint, kind: fc.constantFrom("normal", "noop", "conf"), data: bytes }, plain);
  const conf = fc.record(
    { voters: fc.array(nodeId, { maxLength: 7 }), learners: fc.array(nodeId, { maxLength: 3 }), autoPromote: fc.array(nodeId, { minLength: 1, maxLength: 2 }) },
    { ...plain, requiredKeys: ["voters", "learners"] },
  );
  const snapshot: fc.Arbitrary<Snapshot> = fc.record({ meta: fc.record({ index: uint, term: uint, conf }, plain), data: bytes }, plain);
  const message: fc.Arbitrary<Message> = fc.record({
    type: fc.constantFrom("preVote", "preVoteResp", "vote", "voteResp", "append", "appendResp", "heartbeat", "heartbeatResp", "snapshot", "timeoutNow", "readIndex", "readIndexResp"),
    from: nodeId, to: nodeId, term: uint, logTerm: uint, index: uint,
    entries: fc.array(entry, { maxLength: 8 }), commit: uint, reject: fc.boolean(), rejectHint: uint,
    snapshot: fc.option(snapshot, { nil: null }), context: bytes,
  }, plain);

  test("encodeMessage equals the naive layout encoder, and decodeMessage inverts it", () =>
    fc.assert(
      fc.property(message, (m) => {
        const spec = specMessage(m);
        assert.equal(hex(encodeMessage(m)), hex(spec));
        assert.deepEqual(decodeMessage(spec), m);
      }),
      { numRuns: 300 },
    ));
});
