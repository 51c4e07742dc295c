import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import {
  checkBinding,
  checkMeasurement,
  collateralValidity,
  parseCollateral,
  tdxReportData,
  verifyQuote,
  verifyTdxAttestation,
} from "../src/tdx.js";
import {
  createDevAttestation,
  decodeAttestation,
  encodeAttestation,
  verifyAttestation,
  type AttestationPolicy,
} from "../src/attestation.js";
import { NetError, type NetErrorCode } from "../src/errors.js";

// Read in place from the shared fixtures (repo root/../shared/fixtures).
const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/tdx/", import.meta.url));
const quote = new Uint8Array(readFileSync(FIXTURES + "tdx_quote"));
const collateralJson = readFileSync(FIXTURES + "tdx_quote_collateral.json", "utf8");
const collateral = parseCollateral(collateralJson, "tdx_quote_collateral.json");
const tcbIssue = Math.floor(Date.parse(JSON.parse(collateral.tcb_info).issueDate) / 1000);
const NOW = tcbIssue + 3600;
const FIXTURE_MRTD = Buffer.from(
  "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
  "hex",
);
const FIXTURE_REPORT_DATA = Buffer.from(
  "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20",
  "hex",
);
const isCode = (code: NetErrorCode) => (e: unknown) => e instanceof NetError && e.code === code;

describe("TDX stage 1: verifyQuote", () => {
  test("the fixture quote verifies as UpToDate inside its collateral's validity", () => {
    const v = verifyQuote(quote, collateral, NOW);
    assert.equal(v.status, "UpToDate");
    assert.deepEqual(v.mrTd, new Uint8Array(FIXTURE_MRTD));
    assert.deepEqual(v.reportData, new Uint8Array(FIXTURE_REPORT_DATA));
  });

  test("outside the collateral validity window it is refused with the window in the message", () => {
    const { notBeforeSecs, notAfterSecs } = collateralValidity(collateral);
    assert.throws(() => verifyQuote(quote, collateral, notAfterSecs + 1), (e: unknown) => {
      return isCode("TDX_COLLATERAL_EXPIRED")(e) && (e as Error).message.includes(new Date(notAfterSecs * 1000).toISOString());
    });
    assert.throws(() => verifyQuote(quote, collateral, notBeforeSecs - 1), isCode("TDX_COLLATERAL_EXPIRED"));
    assert.throws(() => verifyQuote(quote, collateral, Math.floor(Date.now() / 1000)), isCode("TDX_COLLATERAL_EXPIRED"));
  });

  // header (version, QE vendor id), body (MR_TD, report data), quote signature,
  // attestation key, QE report, and the PEM chain: PCK leaf, intermediate and
  // root copy (the PEM armour lines and trailing padding carry no content).
  const positions = {
    headerVersion: 0,
    headerVendor: 20,
    bodyMrTd: 200,
    bodyReportData: 600,
    signature: 640,
    attestationKey: 720,
    qeReport: 800,
    pckLeafCert: 1400,
    intermediateCert: 3100,
    rootCert: 4200,
  };
  for (const [where, pos] of Object.entries(positions)) {
    test(`a flipped byte in the ${where} (offset ${pos}) is rejected`, () => {
      const bad = quote.slice();
      bad[pos]! ^= 0x01;
      assert.throws(() => verifyQuote(bad, collateral, NOW), isCode("TDX_QUOTE_INVALID"));
    });
  }

  test("any flipped byte in the signed header and body is rejected (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 631 }), fc.integer({ min: 1, max: 255 }), (pos, xor) => {
        const bad = quote.slice();
        bad[pos]! ^= xor;
        assert.throws(() => verifyQuote(bad, collateral, NOW), isCode("TDX_QUOTE_INVALID"));
      }),
      { numRuns: 40 },
    );
  });

  test("a truncated or oversized quote is a typed error", () => {
    assert.throws(() => verifyQuote(quote.subarray(0, 100), collateral, NOW), isCode("TDX_QUOTE_INVALID"));
    assert.throws(() => verifyQuote(new Uint8Array(20_000), collateral, NOW), isCode("TDX_QUOTE_INVALID"));
  });

  test("a TCB status outside the accepted set is refused", () => {
    assert.throws(() => verifyQuote(quote, collateral, NOW, ["OutOfDate"]), isCode("TDX_TCB_STATUS"));
  });

  test("malformed collateral is a typed error naming the key", () => {
    assert.throws(() => parseCollateral("{", "c.json"), isCode("TDX_COLLATERAL_INVALID"));
    const missing = JSON.parse(collateralJson);
    delete missing.tcb_info;
    assert.throws(
      () => parseCollateral(JSON.stringify(missing), "c.json"),
      (e: unknown) => isCode("TDX_COLLATERAL_INVALID")(e) && (e as Error).message.includes("tcb_info"),
    );
  });
});

describe("TDX stage 2: checkMeasurement", () => {
  test("an MR_TD in the ACL passes; one not in it is refused", () => {
    checkMeasurement(FIXTURE_MRTD, [randomBytes(48), FIXTURE_MRTD]);
    assert.throws(() => checkMeasurement(FIXTURE_MRTD, [randomBytes(48)]), isCode("TDX_MRTD_NOT_ALLOWED"));
    assert.throws(() => checkMeasurement(FIXTURE_MRTD, []), isCode("TDX_MRTD_NOT_ALLOWED"));
  });
});

describe("TDX stage 3: checkBinding", () => {
  test("the fixture's report data passes when it is what we expect", () => {
    checkBinding(verifyQuote(quote, collateral, NOW).reportData, FIXTURE_REPORT_DATA);
  });

  test("report data that does not bind this peer and group is refused", () => {
    const expected = tdxReportData(randomBytes(38), randomBytes(32));
    assert.throws(() => checkBinding(FIXTURE_REPORT_DATA, expected), isCode("TDX_BINDING_MISMATCH"));
  });

  test("the binding depends on both peer id and group id, under both hashes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 38, maxLength: 38 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (p, g) => {
        for (const h of ["sha512", "blake3"] as const) {
          const rd = tdxReportData(p, g, h);
          assert.equal(rd.length, 64);
          const g2 = g.slice();
          g2[0]! ^= 1;
          const p2 = p.slice();
          p2[37]! ^= 1;
          assert.notDeepEqual(tdxReportData(p, g2, h), rd);
          assert.notDeepEqual(tdxReportData(p2, g, h), rd);
        }
      }),
      { numRuns: 50 },
    );
  });

  test("all stages together: the fixture quote fails only at the binding for a fresh peer", () => {
    assert.throws(
      () =>
        verifyTdxAttestation({ quote, peerId: randomBytes(38), groupId: randomBytes(32), collateral, nowSecs: NOW, mrtdAcl: [FIXTURE_MRTD] }),
      isCode("TDX_BINDING_MISMATCH"),
    );
    assert.throws(
      () => verifyTdxAttestation({ quote, peerId: randomBytes(38), groupId: randomBytes(32), collateral, nowSecs: NOW, mrtdAcl: [] }),
      isCode("TDX_MRTD_NOT_ALLOWED"),
    );
  });
});

describe("attestation policy", () => {
  const groupId = randomBytes(32);
  const subjectFor = async (seed: number) => {
    const key = await generateKeyPairFromSeed("Ed25519", new Uint8Array(32).fill(seed));
    const peerId = peerIdFromPrivateKey(key);
    return { key, subject: { peerId: peerId.toMultihash().bytes, publicKey: key.publicKey, groupId } };
  };
  const policy = (p: Partial<AttestationPolicy>): AttestationPolicy => ({ requireTdx: false, mrtdAcl: [], insecureDev: false, ...p });

  test("a dev attestation is accepted when the committee does not require TDX", async () => {
    const { key, subject } = await subjectFor(1);
    const att = await createDevAttestation(key, subject.peerId, groupId);
    assert.deepEqual(await verifyAttestation(att, subject, policy({})), { kind: "dev" });
  });

  test("a TDX-requiring committee refuses a dev attestation (fail closed) unless insecureDev", async () => {
    const { key, subject } = await subjectFor(2);
    const att = await createDevAttestation(key, subject.peerId, groupId);
    await assert.rejects(
      verifyAttestation(att, subject, policy({ requireTdx: true, mrtdAcl: [FIXTURE_MRTD] })),
      (e: unknown) => isCode("ATTESTATION_REFUSED")(e) && (e as Error).message.includes("insecureDev"),
    );
    assert.deepEqual(await verifyAttestation(att, subject, policy({ requireTdx: true, insecureDev: true })), { kind: "dev" });
    await assert.rejects(verifyAttestation({ kind: "none" }, subject, policy({ requireTdx: true })), isCode("ATTESTATION_REFUSED"));
  });

  test("a dev attestation for another peer or group is refused", async () => {
    const a = await subjectFor(3);
    const b = await subjectFor(4);
    const att = await createDevAttestation(a.key, a.subject.peerId, groupId);
    await assert.rejects(verifyAttestation(att, b.subject, policy({})), isCode("ATTESTATION_REFUSED"));
    await assert.rejects(
      verifyAttestation(att, { ...a.subject, groupId: randomBytes(32) }, policy({})),
      isCode("ATTESTATION_REFUSED"),
    );
  });

  test("a TDX quote needs configured collateral and is checked through all stages", async () => {
    const { subject } = await subjectFor(5);
    const att = { kind: "tdx" as const, quote };
    await assert.rejects(verifyAttestation(att, subject, policy({ requireTdx: true, mrtdAcl: [FIXTURE_MRTD] })), isCode("ATTESTATION_REFUSED"));
    await assert.rejects(
      verifyAttestation(att, subject, policy({ requireTdx: true, mrtdAcl: [FIXTURE_MRTD], collateral, nowSecs: () => NOW })),
      isCode("TDX_BINDING_MISMATCH"),
    );
  });

  test("attestation codec round-trips and rejects bad frames", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant({ kind: "none" as const }),
          fc.uint8Array({ maxLength: 128 }).map((signature) => ({ kind: "dev" as const, signature })),
          fc.uint8Array({ maxLength: 6000 }).map((q) => ({ kind: "tdx" as const, quote: q })),
        ),
        (a) => {
          assert.deepEqual(decodeAttestation(encodeAttestation(a)), a);
          const enc = encodeAttestation(a);
          assert.throws(() => decodeAttestation(Uint8Array.of(...enc, 0)), isCode("NET_DECODE"));
          if (enc.length > 1) assert.throws(() => decodeAttestation(enc.subarray(0, enc.length - 1)), isCode("NET_DECODE"));
        },
      ),
    );
    assert.throws(() => decodeAttestation(Uint8Array.of(9)), isCode("NET_DECODE"));
    assert.throws(() => decodeAttestation(new Uint8Array(0)), isCode("NET_DECODE"));
  });
});
