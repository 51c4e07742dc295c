import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  collectionId,
  derive,
  groupId,
  idToHex,
  latticeConfigProblems,
  latticeId,
  normalizeZipnetWindow,
  ORGANISMS,
  type LatticeConfig,
  type Organism,
} from "../src/index.js";
import { clone, goldenConfig, latticeConfigArb } from "./fixtures.js";

/** Comparable form of a field value: bytes as hex, windows normalized (a tuple equal to a preset is that preset). */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `0x${Buffer.from(x).toString("hex")}` : typeof x === "bigint" ? `${x}n` : x));
}

const ORGANISM_FIELDS = ORGANISMS.flatMap((o) => Object.keys(goldenConfig()[o]).map((f) => [o, f] as const));

function allGroupIds(cfg: LatticeConfig): Record<Organism, string> {
  return Object.fromEntries(ORGANISMS.map((o) => [o, idToHex(groupId(cfg, o))])) as Record<Organism, string>;
}

describe("fingerprint discipline", () => {
  test("every organism field is covered by the property below", () => {
    // imageMrtd and builderPublicKey are optional: the golden config sets them so they are listed.
    assert.ok(ORGANISM_FIELDS.some(([o, f]) => o === "atelier" && f === "imageMrtd"));
    assert.ok(ORGANISM_FIELDS.some(([o, f]) => o === "relay" && f === "builderPublicKey"));
    assert.equal(ORGANISM_FIELDS.length, 5 + 4 + 4 + 7 + 4 + 6);
  });

  test("changing one field of one organism changes that GroupId and latticeId, and no other GroupId", () => {
    fc.assert(
      fc.property(latticeConfigArb, latticeConfigArb, fc.constantFrom(...ORGANISM_FIELDS), (a, b, [org, field]) => {
        const changed = clone(a);
        (changed[org] as unknown as Record<string, unknown>)[field] = clone((b[org] as unknown as Record<string, unknown>)[field]);
        const before = field === "window" ? normalizeZipnetWindow(a.zipnet.window) : (a[org] as unknown as Record<string, unknown>)[field];
        const after = field === "window" ? normalizeZipnetWindow(changed.zipnet.window) : (changed[org] as unknown as Record<string, unknown>)[field];
        fc.pre(canonical(before) !== canonical(after));
        // Copying a field across configs can break a cross-field rule (e.g. threshold vs n); such pairs are not "changes of a valid config".
        // (atelier.blockSchema has a single value today, so it never changes here.)
        fc.pre(latticeConfigProblems(changed).length === 0);

        const g0 = allGroupIds(a);
        const g1 = allGroupIds(changed);
        assert.notEqual(g1[org], g0[org], `${org}.${field} changed but the ${org} GroupId did not`);
        assert.notEqual(idToHex(latticeId(changed)), idToHex(latticeId(a)));
        for (const other of ORGANISMS) if (other !== org) assert.equal(g1[other], g0[other], `${org}.${field} changed the ${other} GroupId`);
      }),
      { numRuns: 600 },
    );
  });

  test("lattice-wide fields (slot clock, insecureDev) change every GroupId; name and chain id change every root", () => {
    const base = goldenConfig();
    const g0 = allGroupIds(base);
    const variants: [string, (c: LatticeConfig) => void][] = [
      ["slot.durationMs", (c) => void (c.slot.durationMs = 6000)],
      ["slot.genesisUnixMs", (c) => void (c.slot.genesisUnixMs += 1)],
      ["insecureDev", (c) => void (c.insecureDev = true)],
      ["name", (c) => void (c.name = "acme.ethereum.holesky")],
      ["chainId", (c) => void (c.chainId = 17000n)],
    ];
    for (const [what, mutate] of variants) {
      const c = clone(base);
      mutate(c);
      const g1 = allGroupIds(c);
      for (const o of ORGANISMS) assert.notEqual(g1[o], g0[o], `${what} should change the ${o} GroupId`);
      assert.notEqual(idToHex(latticeId(c)), idToHex(latticeId(base)), `${what} should change latticeId`);
    }
  });

  test("collectionId = derive(groupId, label) and labels do not collide", () => {
    const cfg = goldenConfig();
    assert.equal(idToHex(collectionId(cfg, "zipnet", "broadcasts")), idToHex(derive(groupId(cfg, "zipnet"), "broadcasts")));
    assert.notEqual(idToHex(collectionId(cfg, "zipnet", "broadcasts")), idToHex(collectionId(cfg, "zipnet", "liveRound")));
  });
});
