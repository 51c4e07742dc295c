import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { Admission, AdmissionRefusedError } from "../src/admission.js";
import {
  AdmissionRole,
  admissionKey,
  admissionMac,
  verifyAdmissionMac,
  type TranscriptInput,
} from "../src/admission-transcript.js";
import { NET_METRICS } from "../src/metrics.js";
import { devAttestationProvider, type AttestationPolicy } from "../src/attestation.js";
import { startHost, type TestHost } from "./helpers.js";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const transcriptArb: fc.Arbitrary<TranscriptInput> = fc.record({
  groupId: bytes(32),
  initiator: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  responder: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  nonceInitiator: bytes(32),
  nonceResponder: bytes(32),
  role: fc.constantFrom(AdmissionRole.Initiator, AdmissionRole.Responder),
});

describe("admission transcript (pure)", () => {
  const fields = ["groupId", "initiator", "responder", "nonceInitiator", "nonceResponder"] as const;

  test("changing any bound field changes the MAC", () => {
    fc.assert(
      fc.property(transcriptArb, fc.constantFrom(...fields), fc.nat(), fc.integer({ min: 1, max: 255 }), (t, field, pos, xor) => {
        const key = admissionKey(new Uint8Array(32).fill(7), t.groupId);
        const changed = t[field].slice();
        changed[pos % changed.length]! ^= xor;
        const t2 = { ...t, [field]: changed };
        assert.notDeepEqual(admissionMac(key, t2), admissionMac(key, t));
        assert.equal(verifyAdmissionMac(key, t2, admissionMac(key, t)), false);
      }),
    );
  });

  test("the two directions' MACs differ and swapping peer order changes the MAC", () => {
    fc.assert(
      fc.property(transcriptArb, (t) => {
        const key = admissionKey(randomBytes(32), t.groupId);
        const i = admissionMac(key, { ...t, role: AdmissionRole.Initiator });
        const r = admissionMac(key, { ...t, role: AdmissionRole.Responder });
        assert.notDeepEqual(i, r);
        fc.pre(Buffer.compare(t.initiator, t.responder) !== 0);
        const swapped = { ...t, initiator: t.responder, responder: t.initiator };
        assert.notDeepEqual(admissionMac(key, swapped), admissionMac(key, t));
      }),
    );
  });

  test("a different secret or group yields a different key; the right MAC verifies", () => {
    fc.assert(
      fc.property(transcriptArb, bytes(32), bytes(32), (t, s1, s2) => {
        fc.pre(Buffer.compare(s1, s2) !== 0);
        const k1 = admissionKey(s1, t.groupId);
        assert.equal(verifyAdmissionMac(k1, t, admissionMac(k1, t)), true);
        assert.equal(verifyAdmissionMac(admissionKey(s2, t.groupId), t, admissionMac(k1, t)), false);
        const g2 = t.groupId.slice();
        g2[0]! ^= 1;
        assert.notDeepEqual(admissionKey(s1, g2), k1);
      }),
    );
  });

  test("a truncated MAC is rejected, not thrown on", () => {
    const t = fc.sample(transcriptArb, 1)[0]!;
    const key = admissionKey(randomBytes(32), t.groupId);
    assert.equal(verifyAdmissionMac(key, t, admissionMac(key, t).subarray(0, 31)), false);
  });
});

describe("admission over libp2p", () => {
  const groupId = randomBytes(32);
  const secret = randomBytes(32);

  async function member(h: TestHost, opts: { secret?: Uint8Array; groupId?: Uint8Array } = {}) {
    const a = new Admission({ host: h, groupId: opts.groupId ?? groupId, committeeSecret: opts.secret ?? secret, timeoutMs: 3000 });
    await a.start();
    return a;
  }

  test("the right secret and GroupId admit both sides", async (t) => {
    const [h1, h2] = await Promise.all([startHost(), startHost()]);
    t.after(() => Promise.all([h1.stop(), h2.stop()]));
    const [a1, a2] = await Promise.all([member(h1), member(h2)]);
    const admittedOnResponder = new Promise((r) => a2.once("admitted", r));
    await h1.libp2p.dial(h2.libp2p.getMultiaddrs()[0]!);
    assert.equal(h1.mem.get(NET_METRICS.connections), 1);
    const res = await a1.admit(h2.libp2p.peerId);
    await admittedOnResponder;
    assert.equal(res.peerId, h2.libp2p.peerId.toString());
    assert.equal(a1.isAdmitted(h2.libp2p.peerId), true);
    assert.equal(a2.isAdmitted(h1.libp2p.peerId), true);
    assert.equal(a1.isAdmitted(h1.libp2p.peerId), false);
    assert.ok(h1.mem.get(NET_METRICS.bytes, { direction: "out" }) > 64);

    // Admission lasts only while connected.
    const dropped = new Promise((r) => h2.libp2p.addEventListener("peer:disconnect", r, { once: true }));
    await h1.libp2p.hangUp(h2.libp2p.peerId);
    await dropped;
    assert.equal(a2.isAdmitted(h1.libp2p.peerId), false);
  });

  test("a wrong committee secret is refused on both sides, logged and counted", async (t) => {
    const [h1, h2] = await Promise.all([startHost(), startHost()]);
    t.after(() => Promise.all([h1.stop(), h2.stop()]));
    const a1 = await member(h1, { secret: randomBytes(32) });
    const a2 = await member(h2);
    const refusedOnResponder = new Promise<{ reason: string }>((r) => a2.once("refused", r));
    await h1.libp2p.dial(h2.libp2p.getMultiaddrs()[0]!);
    await assert.rejects(a1.admit(h2.libp2p.peerId), (e: unknown) => e instanceof AdmissionRefusedError && e.reason === "bad_mac");
    // The responder never got a valid proof from the intruder either.
    const r = await refusedOnResponder;
    assert.ok(["bad_mac", "closed"].includes(r.reason), `responder refusal reason ${r.reason}`);
    assert.equal(a1.isAdmitted(h2.libp2p.peerId), false);
    assert.equal(a2.isAdmitted(h1.libp2p.peerId), false);
    assert.equal(h1.mem.get(NET_METRICS.admissionRefused, { reason: "bad_mac" }), 1);
    const warn = h1.logs.records.find((l) => l.msg === "admission: peer refused");
    assert.equal(warn?.obj["reason"], "bad_mac");
    assert.equal(warn?.obj["peer"], h2.libp2p.peerId.toString());
    assert.ok(!JSON.stringify(h1.logs.records).includes(Buffer.from(secret).toString("hex")), "secret never logged");
  });

  test("the responder refuses an initiator whose MAC is wrong", async (t) => {
    // Initiator knows the responder's proof format but not the secret: it
    // fails at the responder when the responder checks the initiator's MAC.
    const [h1, h2] = await Promise.all([startHost(), startHost()]);
    t.after(() => Promise.all([h1.stop(), h2.stop()]));
    const a2 = await member(h2);
    const refused = new Promise<{ reason: string }>((r) => a2.once("refused", r));
    const stream = await h1.libp2p.dialProtocol(h2.libp2p.getMultiaddrs()[0]!, a2.protocol);
    const { lpStream } = await import("@libp2p/utils");
    const lp = lpStream(stream);
    await lp.write(randomBytes(32));
    await lp.read();
    const forged = new Uint8Array(32 + 2 + 1);
    forged.set([0, 1, 0], 32);
    await lp.write(forged);
    const verdict = (await lp.read()).subarray();
    assert.notEqual(verdict[0], 0, "verdict is a refusal");
    assert.equal((await refused).reason, "bad_mac");
    assert.equal(h2.mem.get(NET_METRICS.admissionRefused, { reason: "bad_mac" }), 1);
    assert.equal(a2.isAdmitted(h1.libp2p.peerId), false);
  });

  test("a different GroupId (different config) is refused as group_mismatch", async (t) => {
    const [h1, h2] = await Promise.all([startHost(), startHost()]);
    t.after(() => Promise.all([h1.stop(), h2.stop()]));
    const a1 = await member(h1, { groupId: randomBytes(32) });
    await member(h2);
    await h1.libp2p.dial(h2.libp2p.getMultiaddrs()[0]!);
    await assert.rejects(
      a1.admit(h2.libp2p.peerId),
      (e: unknown) => e instanceof AdmissionRefusedError && e.reason === "group_mismatch" && e.code === "ADMISSION_REFUSED",
    );
    assert.equal(a1.isAdmitted(h2.libp2p.peerId), false);
    assert.equal(h1.mem.get(NET_METRICS.admissionRefused, { reason: "group_mismatch" }), 1);
  });

  test("garbage and silence are refused (malformed, timeout)", async (t) => {
    const [h1, h2] = await Promise.all([startHost(), startHost()]);
    t.after(() => Promise.all([h1.stop(), h2.stop()]));
    const a2 = new Admission({ host: h2, groupId, committeeSecret: secret, timeoutMs: 400 });
    await a2.start();
    const { lpStream } = await import("@libp2p/utils");

    const malformed = new Promise<{ reason: string }>((r) => a2.once("refused", r));
    const s1 = await h1.libp2p.dialProtocol(h2.libp2p.getMultiaddrs()[0]!, a2.protocol);
    await lpStream(s1).write(randomBytes(7));
    assert.equal((await malformed).reason, "malformed");

    const silent = new Promise<{ reason: string }>((r) => a2.once("refused", r));
    await h1.libp2p.dialProtocol(h2.libp2p.getMultiaddrs()[0]!, a2.protocol);
    assert.equal((await silent).reason, "timeout");
    assert.equal(h2.mem.get(NET_METRICS.admissionRefused, { reason: "malformed" }), 1);
    assert.equal(h2.mem.get(NET_METRICS.admissionRefused, { reason: "timeout" }), 1);
  });

  describe("with attestation", () => {
    const tdxPolicy = (insecureDev: boolean): AttestationPolicy => ({ requireTdx: true, mrtdAcl: [randomBytes(48)], insecureDev });

    async function attested(h: TestHost, policy: AttestationPolicy) {
      const a = new Admission({
        host: h,
        groupId,
        committeeSecret: secret,
        timeoutMs: 3000,
        attestation: { provider: devAttestationProvider(h.privateKey), policy },
      });
      await a.start();
      return a;
    }

    test("a TDX-requiring committee refuses dev-attested peers (fail closed)", async (t) => {
      const [h1, h2] = await Promise.all([startHost(), startHost()]);
      t.after(() => Promise.all([h1.stop(), h2.stop()]));
      const a1 = await attested(h1, tdxPolicy(false));
      const a2 = await attested(h2, tdxPolicy(false));
      await h1.libp2p.dial(h2.libp2p.getMultiaddrs()[0]!);
      await assert.rejects(a1.admit(h2.libp2p.peerId), (e: unknown) => e instanceof AdmissionRefusedError && e.reason === "attestation");
      assert.equal(a1.isAdmitted(h2.libp2p.peerId), false);
      assert.equal(a2.isAdmitted(h1.libp2p.peerId), false);
      assert.equal(h1.mem.get(NET_METRICS.admissionRefused, { reason: "attestation" }), 1);
    });

    test("the same committee admits dev-attested peers when the lattice is insecureDev", async (t) => {
      const [h1, h2] = await Promise.all([startHost(), startHost()]);
      t.after(() => Promise.all([h1.stop(), h2.stop()]));
      const a1 = await attested(h1, tdxPolicy(true));
      const a2 = await attested(h2, tdxPolicy(true));
      const onResponder = new Promise((r) => a2.once("admitted", r));
      await h1.libp2p.dial(h2.libp2p.getMultiaddrs()[0]!);
      const res = await a1.admit(h2.libp2p.peerId);
      await onResponder;
      assert.equal(res.attestation.kind, "dev");
      assert.equal(a2.admitted()[0]?.attestation.kind, "dev");
    });
  });
});
