import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeLatticeConfig,
  encodeLatticeConfig,
  encodeOrganismConfig,
  groupId,
  idToHex,
  LatticeConfigError,
  latticeConfigFromHex,
  latticeConfigProblems,
  latticeConfigToHex,
  latticeId,
  MAX_LATTICE_CONFIG_BYTES,
  normalizeZipnetWindow,
  ORGANISMS,
  type LatticeConfig,
  type LatticeConfigErrorCode,
} from "../src/index.js";
import { clone, goldenConfig, latticeConfigArb } from "./fixtures.js";

// Pinned outputs of goldenConfig(). latticeId and the offer GroupId were
// recomputed from these bytes with blake3-jit (independent of @noble/hashes).
const GOLDEN_HEX =
  "01e60200006a0000000100000000000000d8d32c1e76010000e02e000000e803000002004000bc020000b6030000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f030004000008007f00000003022003000000000200b9000000030200007302000061636d652e657468657265756d2e6d61696e6e65740507200000000a000000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f030200130000002a000000ba0000001a01000068747470733a2f2f6574682e6578616d706c652f727063808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f000a0000000340000000080000001f00000068747470733a2f2f72656c61792d612e6578616d706c6568747470733a2f2f72656c61792d622e6578616d706c65b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf030220000000f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102035c0000000200c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f368747470733a2f2f6574682e6578616d706c652f727063";
const GOLDEN_LATTICE_ID = "533e8f2806981e40cebe5d76e43f4aad1835bbb59aea83677c816600c4e2cd1b";
const GOLDEN_GROUP_IDS = {
  zipnet: "1259a37ebf041a40bfbefbdcce93b4df2e5853e5f38438a2e2ba9e739aa7b40c",
  unseal: "e61bfcecd75b20b9aae7de6457b76453b6b0e4c4ea9c9def16fe8039349b4ad5",
  offer: "6136025ab44bace811c5c6e5120698d05524c928a1f90965010a88c4402729e6",
  atelier: "92109ac24cbb4c14fcb04d81e1963008b0dd208837899956b2b3851b4e0e8c10",
  relay: "234972606437f491af623bb91d8cca96b2d2e052d3d11e6cb8c3f9aacc76f46c",
  tally: "9f48153acc5a2e1f5316c1f2a20b06bf9d7043e3792f681b2e39de5c6ca3fca7",
};

function rejects(fn: () => unknown, code: LatticeConfigErrorCode, text: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LatticeConfigError, `expected LatticeConfigError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, text);
    return true;
  });
}

/** What decoding returns for a config: windows equal to a preset come back as the preset's name. */
function normalized(cfg: LatticeConfig): LatticeConfig {
  const c = clone(cfg);
  c.zipnet.window = normalizeZipnetWindow(c.zipnet.window);
  return c;
}

describe("canonical encoding: golden vectors", () => {
  test("goldenConfig encodes to the pinned bytes, latticeId and GroupIds", () => {
    const cfg = goldenConfig();
    assert.equal(latticeConfigToHex(cfg), GOLDEN_HEX);
    assert.equal(idToHex(latticeId(cfg)), GOLDEN_LATTICE_ID);
    assert.deepEqual(Object.fromEntries(ORGANISMS.map((o) => [o, idToHex(groupId(cfg, o))])), GOLDEN_GROUP_IDS);
  });

  test("header: version byte, then the body length as u32 little-endian", () => {
    const bytes = encodeLatticeConfig(goldenConfig());
    assert.equal(bytes[0], 1);
    assert.equal(new DataView(bytes.buffer).getUint32(1, true), bytes.length - 5);
  });

  test("offer's organism encoding, laid out by hand: version, slot, insecureDev, offer fields", () => {
    const expected =
      "01" + // encoding version
      "d8d32c1e76010000" + // slot.genesisUnixMs = 1606824023000, u64 LE
      "e02e0000" + // slot.durationMs = 12000, u32 LE
      "00" + // insecureDev = false
      "03" + "02" + // committeeSize, threshold
      "20030000" + // auctionWindowMs = 800
      "00000200"; // maxBidBytes = 131072
    assert.equal(Buffer.from(encodeOrganismConfig(goldenConfig(), "offer")).toString("hex"), expected);
  });

  test("hex parsing accepts 0x, upper case and a trailing newline", () => {
    const want = normalized(goldenConfig());
    assert.deepEqual(latticeConfigFromHex(`0x${GOLDEN_HEX}`), want);
    assert.deepEqual(latticeConfigFromHex(`${GOLDEN_HEX.toUpperCase()}\n`), want);
  });

  test("a tuple equal to a preset has the preset's fingerprint and decodes as the preset", () => {
    const a = goldenConfig();
    const b = goldenConfig();
    b.zipnet.window = { roundPeriodMs: 1000, minParticipants: 2, maxParticipants: 64, foldDeadlineMs: 700, roundDeadlineMs: 950 };
    assert.equal(latticeConfigToHex(b), latticeConfigToHex(a));
    assert.equal(decodeLatticeConfig(encodeLatticeConfig(b)).zipnet.window, "interactive");
  });
});

describe("canonical encoding: properties", () => {
  test("decode(encode(cfg)) = cfg and encode(decode(bytes)) = bytes for arbitrary valid configs", () => {
    fc.assert(
      fc.property(latticeConfigArb, (cfg) => {
        const bytes = encodeLatticeConfig(cfg);
        const back = decodeLatticeConfig(bytes);
        assert.deepEqual(back, normalized(cfg));
        assert.deepEqual(encodeLatticeConfig(back), bytes);
      }),
      { numRuns: 300 },
    );
  });

  test("any truncation or single-byte corruption yields a LatticeConfigError or a valid config, never a crash", () => {
    const bytes = encodeLatticeConfig(goldenConfig());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (pos, value, truncate) => {
        const input = truncate ? bytes.slice(0, pos) : Uint8Array.from(bytes, (b, i) => (i === pos ? value : b));
        try {
          const cfg = decodeLatticeConfig(input);
          assert.deepEqual(encodeLatticeConfig(cfg), input);
        } catch (e) {
          assert.ok(e instanceof LatticeConfigError, `unexpected ${String(e)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("canonical encoding: decode errors", () => {
  const good = () => encodeLatticeConfig(goldenConfig());

  test("a trailing byte", () => {
    rejects(() => decodeLatticeConfig(new Uint8Array([...good(), 0])), "LATTICE_CONFIG_TRAILING_BYTES", /1 trailing byte/);
    rejects(() => latticeConfigFromHex(`${GOLDEN_HEX}00`), "LATTICE_CONFIG_TRAILING_BYTES", /trailing/);
  });

  test("an unknown version", () => {
    const b = good();
    b[0] = 2;
    rejects(() => decodeLatticeConfig(b), "LATTICE_CONFIG_UNKNOWN_VERSION", /version 2 .*understands version 1/);
  });

  test("truncated input, in the header or in the body", () => {
    const b = good();
    rejects(() => decodeLatticeConfig(b.subarray(0, b.length - 1)), "LATTICE_CONFIG_TRUNCATED", /announces a \d+-byte body, found \d+ bytes/);
    rejects(() => decodeLatticeConfig(b.subarray(0, 3)), "LATTICE_CONFIG_TRUNCATED", /5-byte header/);
  });

  test("empty and oversize input", () => {
    rejects(() => decodeLatticeConfig(new Uint8Array()), "LATTICE_CONFIG_EMPTY", /0 bytes/);
    const big = new Uint8Array(MAX_LATTICE_CONFIG_BYTES + 1);
    big[0] = 1;
    rejects(() => decodeLatticeConfig(big), "LATTICE_CONFIG_TOO_LARGE", new RegExp(`maximum is ${MAX_LATTICE_CONFIG_BYTES}`));
    rejects(() => latticeConfigFromHex("01".repeat(MAX_LATTICE_CONFIG_BYTES + 1)), "LATTICE_CONFIG_TOO_LARGE", /hex characters/);
  });

  test("non-hex and odd-length hex", () => {
    rejects(() => latticeConfigFromHex("01zz"), "LATTICE_CONFIG_BAD_HEX", /non-hex character "z" at position 2/);
    rejects(() => latticeConfigFromHex("012"), "LATTICE_CONFIG_BAD_HEX", /odd number/);
  });

  test("a body whose SSZ offsets point outside it", () => {
    const b = good();
    // The first variable-size field's offset (name) sits right after the header; point it past the end.
    new DataView(b.buffer).setUint32(5, 0xffff, true);
    rejects(() => decodeLatticeConfig(b), "LATTICE_CONFIG_MALFORMED", /not a valid version-1 SSZ container/);
  });

  test("well-formed SSZ carrying invalid values reports every field", () => {
    const cfg = goldenConfig();
    const bytes = encodeLatticeConfig(cfg);
    const hex = Buffer.from(bytes).toString("hex");
    // unseal {t: 5, n: 7, dkgEpochSlots: 32} → t: 1 (not a majority) and n: 9 (outside 3–7).
    const at = hex.indexOf("050720000000");
    assert.ok(at > 0 && at % 2 === 0);
    const bad = Buffer.from(hex.slice(0, at) + "010920000000" + hex.slice(at + 12), "hex");
    assert.throws(
      () => decodeLatticeConfig(bad),
      (e: unknown) => e instanceof LatticeConfigError && e.code === "LATTICE_CONFIG_INVALID" && e.problems.some((p) => p.field === "unseal.n" && /\[3, 7\]/.test(p.message)),
    );
  });

  test("encoding refuses an invalid config instead of wrapping values", () => {
    const cfg = goldenConfig();
    cfg.offer.auctionWindowMs = 12_000;
    cfg.tally.settlementAddr = new Uint8Array(20);
    assert.throws(
      () => encodeLatticeConfig(cfg),
      (e: unknown) =>
        e instanceof LatticeConfigError &&
        e.code === "LATTICE_CONFIG_INVALID" &&
        e.problems.some((p) => p.field === "offer.auctionWindowMs" && /less than slot.durationMs \(12000\)/.test(p.message)) &&
        e.problems.some((p) => p.field === "tally.settlementAddr" && /zero address/.test(p.message)),
    );
  });
});

describe("canonical encoding: hostile input", () => {
  test("random bytes never escape as anything but LatticeConfigError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (tail, versioned) => {
        const input = versioned ? new Uint8Array([1, ...new Uint8Array(new Uint32Array([tail.length]).buffer), ...tail]) : tail;
        try {
          decodeLatticeConfig(input);
        } catch (e) {
          assert.ok(e instanceof LatticeConfigError, `unexpected ${String(e)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test("a decoded config owns its bytes: reusing the input buffer cannot change it", () => {
    const bytes = encodeLatticeConfig(goldenConfig());
    const cfg = decodeLatticeConfig(bytes);
    const id = idToHex(latticeId(cfg));
    bytes.fill(0x77);
    assert.equal(idToHex(latticeId(cfg)), id);
  });

  test("validation of a wrongly-shaped object reports problems instead of crashing", () => {
    for (const junk of [{}, null, { version: 1, zipnet: 5, unseal: [], relay: { proposerEndpoints: "x" } }]) {
      const problems = latticeConfigProblems(junk as unknown as LatticeConfig);
      assert.ok(problems.length > 5);
      assert.throws(() => encodeLatticeConfig(junk as unknown as LatticeConfig), (e: unknown) => e instanceof LatticeConfigError && e.code === "LATTICE_CONFIG_INVALID");
    }
  });
});
