// The pinned hex vectors were cross-checked with blake3-jit 1.1.0, a BLAKE3
// implementation independent of @noble/hashes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { blake3 } from "@noble/hashes/blake3.js";
import { derive, idFromHex, idToHex, LatticeConfigError, latticeRoot, organismRoot, ORGANISMS, uniqueId, UNIVERSE, universeFromEnv } from "../src/index.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("UniqueId", () => {
  test("blake3 itself matches the BLAKE3 reference vector for empty input", () => {
    assert.equal(idToHex(blake3(new Uint8Array())), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  });

  test("uniqueId hashes text with blake3 (golden vector for mosaik.universe)", () => {
    assert.equal(idToHex(uniqueId("mosaik.universe")), idToHex(blake3(utf8("mosaik.universe"))));
    assert.equal(idToHex(UNIVERSE), "b82b6f3b4a1e53d2d56523f5a7b1974e3842ac37a068cc302286065a8853cf43");
  });

  test("a 64-hex string decodes directly instead of being hashed", () => {
    const hex = "00".repeat(31) + "ff";
    assert.equal(idToHex(uniqueId(hex)), hex);
    assert.equal(idToHex(uniqueId(hex.toUpperCase())), hex);
    // 63 or 65 hex characters are ordinary text.
    assert.equal(idToHex(uniqueId(hex.slice(1))), idToHex(blake3(utf8(hex.slice(1)))));
  });

  test("derive = blake3(id ‖ utf8 label), golden vector", () => {
    const expected = blake3(new Uint8Array([...UNIVERSE, ...utf8("zipnet")]));
    assert.equal(idToHex(derive(UNIVERSE, "zipnet")), idToHex(expected));
    assert.equal(idToHex(derive(UNIVERSE, "zipnet")), "8707cdf27fd014785acc833a0f6529f0697a8108736a30ce314db65a5fc5979e");
  });

  test("latticeRoot('acme.ethereum.mainnet', 1) golden vector, and organism roots derive from it", () => {
    const root = latticeRoot("acme.ethereum.mainnet", 1n);
    assert.equal(idToHex(root), idToHex(blake3(utf8("builder|acme.ethereum.mainnet|chain=1"))));
    assert.equal(idToHex(root), "70f948f962295519ca2422c339dd1e5abf191538f593d6a10fb2f5c7d5c4364f");
    assert.equal(idToHex(latticeRoot("acme.ethereum.mainnet", 1)), idToHex(root));
    const roots = Object.fromEntries(ORGANISMS.map((o) => [o, idToHex(organismRoot(root, o))]));
    assert.deepEqual(roots, {
      zipnet: "c0e11b6ca27b1249a4086e53ddbc6290cb16dcb0c9988502366ff33719f52a7e",
      unseal: "149058b79ab3d1a923aa994d2d2821226a2348cb5624c6c1a5a3059df67dcc41",
      offer: "b6f72bfd49007682c8743ceb513825a99b655007b5bd2dbb592cacf16fcc33d6",
      atelier: "4fc496c83296f6a84faaf3ff82b33491523c9e7f6e64dcf968a3d7c04fbb7a07",
      relay: "7532b574b621130e3d123a6afc26088ad739bc6b214c27a876e3113e54c38a89",
      tally: "ffa6082ad7ac3ab9a6e6671820754bead8f75b2ea8ad379f3feb0b29656ccfc4",
    });
  });

  test("idFromHex accepts 0x and rejects wrong lengths with LATTICE_ID_BAD_HEX", () => {
    const hex = idToHex(UNIVERSE);
    assert.deepEqual(idFromHex(`0x${hex}`), UNIVERSE);
    for (const bad of [hex.slice(2), `${hex}00`, "zz".repeat(32), ""]) {
      assert.throws(() => idFromHex(bad), (e: unknown) => e instanceof LatticeConfigError && e.code === "LATTICE_ID_BAD_HEX" && e.message.includes("64 hex characters"));
    }
  });

  test("universeFromEnv honours LATTICE_UNIVERSE", () => {
    assert.deepEqual(universeFromEnv({}), UNIVERSE);
    assert.deepEqual(universeFromEnv({ LATTICE_UNIVERSE: "" }), UNIVERSE);
    assert.deepEqual(universeFromEnv({ LATTICE_UNIVERSE: "staging" }), blake3(utf8("staging")));
    const hex = "ab".repeat(32);
    assert.equal(idToHex(universeFromEnv({ LATTICE_UNIVERSE: hex })), hex);
  });
});
