import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MAX_TX_BYTES,
  MAX_VECTOR_BYTES,
  ZipnetError,
  ENVELOPE_WIRE_VERSION,
  WIRE_VERSION,
  decodeAggregate,
  decodeBroadcastRecord,
  decodeClientEnvelope,
  decodeCommand,
  decodeLiveRound,
  decodePartial,
  decodeRoundParams,
  decodeTx2718,
  encodeAggregate,
  encodeBroadcastRecord,
  encodeClientEnvelope,
  encodeCommand,
  encodeLiveRound,
  encodePartial,
  encodeRoundParams,
  encodeTx2718,
  participantsHash,
  roundParams,
  CHAIN_STATE_VERSION,
  EPOCH_KEY_FILE_VERSION,
  chainStateBytes,
  decodeChainState,
  decodeEpochKeyFile,
  encodeChainState,
  encodeEpochKeyFile,
  vectorBytes,
} from "../src/index.js";
import { aggregateArb, chainStateArb, commandArb, envelopeArb, epochKeyFileArb, liveArb, paramsArb, partialArb, recordArb } from "./arbitraries.js";

const codecs = [
  { name: "RoundParams", arb: paramsArb, enc: encodeRoundParams, dec: decodeRoundParams, version: WIRE_VERSION },
  { name: "LiveRound", arb: liveArb, enc: encodeLiveRound, dec: decodeLiveRound, version: WIRE_VERSION },
  { name: "ClientEnvelope", arb: envelopeArb, enc: encodeClientEnvelope, dec: decodeClientEnvelope, version: ENVELOPE_WIRE_VERSION },
  { name: "AggregateEnvelope", arb: aggregateArb, enc: encodeAggregate, dec: decodeAggregate, version: WIRE_VERSION },
  { name: "PartialUnblind", arb: partialArb, enc: encodePartial, dec: decodePartial, version: WIRE_VERSION },
  { name: "BroadcastRecord", arb: recordArb, enc: encodeBroadcastRecord, dec: decodeBroadcastRecord, version: WIRE_VERSION },
  { name: "Command", arb: commandArb, enc: encodeCommand, dec: decodeCommand, version: WIRE_VERSION },
  // A server's own files (docs/adr/0006): same rules as the wire.
  { name: "ChainStateFile", arb: chainStateArb, enc: encodeChainState, dec: decodeChainState, version: CHAIN_STATE_VERSION },
  { name: "EpochKeyFile", arb: epochKeyFileArb, enc: encodeEpochKeyFile, dec: decodeEpochKeyFile, version: EPOCH_KEY_FILE_VERSION },
] as const;

/** Decoding must either succeed or throw a ZipnetError — never a RangeError or TypeError. */
function decodesOrTypedError(dec: (b: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    dec(bytes);
  } catch (e) {
    assert.ok(e instanceof ZipnetError, `untyped error: ${String(e)}`);
    assert.match(e.code, /^ZIPNET_/);
  }
}

describe("codecs", () => {
  for (const c of codecs) {
    const enc = c.enc as (v: unknown) => Uint8Array;
    const dec = c.dec as (b: Uint8Array) => unknown;
    test(`${c.name}: decode(encode(x)) = x, and encode is canonical`, () => {
      fc.assert(
        fc.property(c.arb as fc.Arbitrary<unknown>, (v) => {
          const bytes = enc(v);
          assert.equal(bytes[0], c.version, "version byte first");
          const back = dec(bytes);
          // structuredClone: fast-check records have a null prototype, decoded objects do not.
          assert.deepEqual(back, structuredClone(v));
          assert.deepEqual(enc(back), bytes);
        }),
      );
    });
    test(`${c.name}: every strict prefix, a trailing byte and a bad version are typed errors`, () => {
      fc.assert(
        fc.property(c.arb as fc.Arbitrary<unknown>, fc.nat(), (v, cut) => {
          const bytes = enc(v);
          const prefix = bytes.subarray(0, cut % bytes.length);
          assert.throws(() => dec(prefix), (e: unknown) => e instanceof ZipnetError && /TRUNCATED|FIELD|LIMIT|TAG/.test(e.code));
          assert.throws(() => dec(new Uint8Array([...bytes, 0])), { code: "ZIPNET_DECODE_TRAILING" });
          const badVersion = bytes.slice();
          badVersion[0] = c.version + 1;
          assert.throws(() => dec(badVersion), { code: "ZIPNET_DECODE_VERSION" });
        }),
        { numRuns: 50 },
      );
    });
    test(`${c.name}: arbitrary and bit-flipped bytes never crash the decoder`, () => {
      fc.assert(
        fc.property(c.arb as fc.Arbitrary<unknown>, fc.nat(), fc.integer({ min: 1, max: 255 }), (v, at, flip) => {
          const bytes = enc(v).slice();
          bytes[at % bytes.length]! ^= flip;
          decodesOrTypedError(dec, bytes);
        }),
        { numRuns: 100 },
      );
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => decodesOrTypedError(dec, b)));
    });
  }
});

describe("decoded values own their bytes", () => {
  test("decoding from a Node Buffer and then zeroing it leaves every decoded field intact", () => {
    for (const c of codecs) {
      const enc = c.enc as (v: unknown) => Uint8Array;
      const dec = c.dec as (b: Uint8Array) => unknown;
      fc.assert(
        fc.property(c.arb as fc.Arbitrary<unknown>, (v) => {
          const input = Buffer.from(enc(v));
          const back = dec(input);
          input.fill(0);
          assert.deepEqual(back, structuredClone(v), `${c.name}: a decoded field shared the input's memory`);
        }),
        { numRuns: 30 },
      );
    }
  });
});

describe("ClientEnvelope v2 (docs/adr/0005)", () => {
  test("the layout is version ‖ round ‖ clientId ‖ vector: no field besides these", () => {
    const bytes = encodeClientEnvelope({ round: 5, clientId: "11".repeat(32), vector: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]) });
    assert.equal(Buffer.from(bytes).toString("hex"), "02" + "0500000000000000" + "11".repeat(32) + "08000000" + "0001020304050607");
  });

  test("every envelope of a round has length 1 + 8 + 32 + 4 + vectorBytes", () => {
    fc.assert(
      fc.property(envelopeArb, (e) => assert.equal(encodeClientEnvelope(e).length, 45 + e.vector.length)),
    );
  });

  test("a v1 envelope (with its clear-text hasData byte) is refused with the version named", () => {
    // v1: version 1 ‖ round ‖ clientId ‖ hasData ‖ vector.
    const v1 = Buffer.from("01" + "0500000000000000" + "11".repeat(32) + "01" + "04000000" + "00000000", "hex");
    assert.throws(() => decodeClientEnvelope(new Uint8Array(v1)), (e: unknown) => {
      assert.ok(e instanceof ZipnetError);
      assert.equal(e.code, "ZIPNET_DECODE_VERSION");
      assert.deepEqual(e.details, { what: "ClientEnvelope", expected: 2, got: 1 });
      return true;
    });
  });
});

describe("decoder limits and messages", () => {
  test("an announced vector larger than the limit is refused before allocation", () => {
    const env = encodeClientEnvelope({ round: 1, clientId: "aa".repeat(32), vector: new Uint8Array(8) });
    const lenAt = 1 + 8 + 32;
    new DataView(env.buffer).setUint32(lenAt, MAX_VECTOR_BYTES + 4, true);
    assert.throws(() => decodeClientEnvelope(env), (e: unknown) => {
      assert.ok(e instanceof ZipnetError);
      assert.equal(e.code, "ZIPNET_DECODE_LIMIT");
      assert.equal(e.details.field, "vector");
      assert.equal(e.details.expected, `<= ${MAX_VECTOR_BYTES}`);
      return true;
    });
  });

  test("unsorted participants and unknown command tags name the field", () => {
    const a = encodeAggregate({ round: 1, participants: ["bb".repeat(32), "aa".repeat(32)].sort(), vector: new Uint8Array(0) });
    // Swap the two ids in place.
    const swapped = a.slice();
    swapped.set(a.subarray(13, 45), 45);
    swapped.set(a.subarray(45, 77), 13);
    assert.throws(() => decodeAggregate(swapped), (e: unknown) => e instanceof ZipnetError && e.details.field === "participants");
    assert.throws(() => decodeCommand(new Uint8Array([1, 9])), { code: "ZIPNET_DECODE_TAG" });
  });

  test("invalid RoundParams are refused with the violated rule", () => {
    const p = roundParams("interactive");
    assert.throws(() => encodeRoundParams({ ...p, foldDeadlineMs: p.roundDeadlineMs + 1 }), (e: unknown) => {
      assert.ok(e instanceof ZipnetError && e.code === "ZIPNET_PARAMS_INVALID");
      assert.match(e.message, /foldDeadlineMs/);
      return true;
    });
    const bytes = encodeRoundParams(p);
    new DataView(bytes.buffer).setUint32(1 + 4 * 5, 0, true); // messageSlots = 0
    assert.throws(() => decodeRoundParams(bytes), (e: unknown) => e instanceof ZipnetError && e.details.field === "params");
  });

  test("ids must be 32-byte lowercase hex when encoding", () => {
    assert.throws(
      () => encodeClientEnvelope({ round: 1, clientId: "XYZ", vector: new Uint8Array(0) }),
      (e: unknown) => e instanceof ZipnetError && e.code === "ZIPNET_ENCODE_FIELD" && e.details.field === "envelope.clientId",
    );
  });

  test("participantsHash depends on membership and order-canonical input", () => {
    const a = "aa".repeat(32);
    const b = "bb".repeat(32);
    assert.notDeepEqual(participantsHash([a]), participantsHash([a, b]));
    assert.equal(participantsHash([a, b]).length, 32);
  });

  test("vector geometry: reservations then message slots, word aligned", () => {
    fc.assert(fc.property(paramsArb, (p) => assert.equal(vectorBytes(p) % 16, 0)));
  });
});

describe("Tx2718 datum", () => {
  test("round-trips any tx of 1..1022 bytes in exactly 1024 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: MAX_TX_BYTES }), (tx) => {
        const d = encodeTx2718(tx);
        assert.equal(d.length, 1024);
        assert.deepEqual(decodeTx2718(d), tx);
      }),
    );
  });
  test("oversize, empty, bad length prefix and nonzero padding are typed errors", () => {
    assert.throws(() => encodeTx2718(new Uint8Array(MAX_TX_BYTES + 1)), { code: "ZIPNET_DATUM_TOO_LARGE" });
    assert.throws(() => encodeTx2718(new Uint8Array(0)), { code: "ZIPNET_DATUM_TOO_LARGE" });
    const d = encodeTx2718(new Uint8Array([2, 1, 2, 3]));
    const padded = d.slice();
    padded[900] = 1;
    assert.throws(() => decodeTx2718(padded), (e: unknown) => e instanceof ZipnetError && e.details.field === "padding");
    const long = d.slice();
    long[0] = 0xff;
    long[1] = 0xff;
    assert.throws(() => decodeTx2718(long), (e: unknown) => e instanceof ZipnetError && e.details.field === "length");
    assert.throws(() => decodeTx2718(d.subarray(1)), (e: unknown) => e instanceof ZipnetError && e.details.field === "datum");
  });
});

describe("key-epoch codecs (docs/adr/0006)", () => {
  test("AnnounceServerKey is exactly tag ‖ server ‖ epoch ‖ key ‖ signature", () => {
    const signature = new Uint8Array(64).fill(0x5e);
    const bytes = encodeCommand({ type: "announceServerKey", key: { server: "11".repeat(32), epoch: 7, publicKey: new Uint8Array(32).fill(0xaa), signature } });
    assert.equal(Buffer.from(bytes).toString("hex"), "01" + "06" + "11".repeat(32) + "0700000000000000" + "aa".repeat(32) + "5e".repeat(64));
    assert.throws(() => encodeCommand({ type: "announceServerKey", key: { server: "11".repeat(32), epoch: 7, publicKey: new Uint8Array(31), signature } }), { code: "ZIPNET_ENCODE_FIELD" });
    assert.throws(() => encodeCommand({ type: "announceServerKey", key: { server: "11".repeat(32), epoch: 7, publicKey: new Uint8Array(32), signature: new Uint8Array(63) } }), { code: "ZIPNET_ENCODE_FIELD" });
  });

  test("ChainStateFile: size follows the count; a wrong size or version is a typed error naming the file", () => {
    fc.assert(
      fc.property(chainStateArb, (s) => {
        const bytes = encodeChainState(s);
        assert.equal(bytes.length, chainStateBytes(s.chains.length));
        assert.throws(() => decodeChainState(bytes.subarray(0, bytes.length - 1)), (e: unknown) => e instanceof ZipnetError && e.code === "ZIPNET_DECODE_TRUNCATED" && e.details.what === "ChainStateFile");
      }),
      { numRuns: 30 },
    );
    // A count far beyond the limit is refused before anything is read for it.
    const huge = encodeChainState({ serverId: "22".repeat(32), epoch: 1, chains: [] });
    new DataView(huge.buffer).setUint32(1 + 32 + 8, 0xffffffff, true);
    assert.throws(() => decodeChainState(huge), { code: "ZIPNET_DECODE_LIMIT" });
    const v2 = encodeChainState({ serverId: "22".repeat(32), epoch: 1, chains: [] });
    v2[0] = 2;
    assert.throws(() => decodeChainState(v2), (e: unknown) => e instanceof ZipnetError && e.code === "ZIPNET_DECODE_VERSION" && e.details.expected === 1 && e.details.got === 2);
    // Unsorted chains would make two files for one state: refused both ways.
    const a = { clientId: "01".repeat(32), nextRound: 3, chain: new Uint8Array(32) };
    const b = { clientId: "02".repeat(32), nextRound: 3, chain: new Uint8Array(32) };
    assert.throws(() => encodeChainState({ serverId: "22".repeat(32), epoch: 1, chains: [b, a] }), { code: "ZIPNET_ENCODE_FIELD" });
    const sorted = encodeChainState({ serverId: "22".repeat(32), epoch: 1, chains: [a, b] });
    const swapped = sorted.slice();
    swapped.set(sorted.subarray(45, 45 + 72), 45 + 72);
    swapped.set(sorted.subarray(45 + 72, 45 + 144), 45);
    assert.throws(() => decodeChainState(swapped), (e: unknown) => e instanceof ZipnetError && e.code === "ZIPNET_DECODE_FIELD" && e.details.field === "chains[1].clientId");
  });

  test("EpochKeyFile: exactly 41 bytes", () => {
    assert.equal(encodeEpochKeyFile({ epoch: 3, secret: new Uint8Array(32) }).length, 41);
    assert.throws(() => encodeEpochKeyFile({ epoch: 3, secret: new Uint8Array(16) }), { code: "ZIPNET_ENCODE_FIELD" });
    const file = encodeEpochKeyFile({ epoch: 3, secret: new Uint8Array(32).fill(7) });
    assert.throws(() => decodeEpochKeyFile(file.subarray(0, 40)), { code: "ZIPNET_DECODE_TRUNCATED" });
    assert.throws(() => decodeEpochKeyFile(new Uint8Array([...file, 0])), { code: "ZIPNET_DECODE_TRAILING" });
  });
});
