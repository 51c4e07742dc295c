import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { collectionId, COLLECTIONS, downstreamOrganisms, groupId, idToHex, ORGANISMS, ROLES, roleOrganism, SUBSCRIPTIONS, upstreamCollections } from "../src/index.js";
import { goldenConfig } from "./fixtures.js";

describe("subscription graph", () => {
  test("every subscription reads a collection its source writes", () => {
    for (const s of SUBSCRIPTIONS) assert.ok((COLLECTIONS[s.source] as readonly string[]).includes(s.collection), `${s.source} does not write ${s.collection}`);
  });

  test("data flows one way along the pipeline (no cycles, no self-subscription)", () => {
    for (const s of SUBSCRIPTIONS) assert.ok(ORGANISMS.indexOf(s.source) < ORGANISMS.indexOf(s.subscriber), `${s.subscriber} reads ${s.source}`);
  });

  test("every organism but zipnet has an upstream; every organism but tally has a reader", () => {
    for (const o of ORGANISMS) {
      assert.equal(SUBSCRIPTIONS.some((s) => s.subscriber === o), o !== "zipnet", o);
      assert.equal(downstreamOrganisms(o).length > 0, o !== "tally", o);
    }
  });

  test("upstreamCollections derives ids from the config", () => {
    const cfg = goldenConfig();
    const tally = upstreamCollections(cfg, "tally");
    assert.deepEqual(tally.map((u) => `${u.source}/${u.collection}`), ["zipnet/broadcasts", "offer/auctionOutcome", "atelier/candidates", "relay/acceptedHeaders"]);
    for (const u of tally) {
      assert.equal(idToHex(u.id), idToHex(collectionId(cfg, u.source, u.collection)));
      assert.equal(idToHex(u.sourceGroupId), idToHex(groupId(cfg, u.source)));
    }
    assert.deepEqual(upstreamCollections(cfg, "atelier").map((u) => u.collection), ["pool", "auctionOutcome"]);
    assert.deepEqual(upstreamCollections(cfg, "zipnet"), []);
  });

  test("the role table covers every organism, with the seed's counts", () => {
    assert.deepEqual([...new Set(ROLES.map((r) => roleOrganism(r.name)))], [...ORGANISMS]);
    const byName = Object.fromEntries(ROLES.map((r) => [r.name, [r.minProcesses, r.maxProcesses, r.tdxRequired]]));
    assert.deepEqual(byName, {
      "zipnet-server": [3, 3, false],
      "zipnet-aggregator": [1, 1, false],
      "unseal-member": [3, 7, true],
      "offer-member": [3, 5, false],
      "atelier-member": [3, 7, true],
      "relay-member": [3, 5, false],
      "tally-member": [3, 5, false],
    });
  });
});
