// Leader election (Raft §5.2), pre-vote (dissertation §9.6) and check-quorum
// (dissertation §6.2), told as short stories over a hand-driven cluster.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "../src/sim/cluster.js";
import { encodeKvCommand } from "../src/sim/kv-machine.js";
import { createRawNode } from "../src/core/raw-node.js";
import { MemoryStorage } from "../src/memory-storage.js";
import { ConfigError } from "../src/errors.js";

const ids = ["a", "b", "c"];

describe("election (§5.2)", () => {
  test("a campaigning node wins a majority, becomes leader and the others follow it", () => {
    const c = new Cluster(ids);
    c.campaign("a");
    assert.deepEqual(c.leaders(), ["a"]);
    for (const id of ["b", "c"]) {
      assert.equal(c.raw(id).status().leader, "a");
      assert.equal(c.raw(id).status().term, c.raw("a").status().term);
    }
  });

  test("election safety: with randomized timeouts, at most one leader per term across many seeds", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const c = new Cluster(["a", "b", "c", "d", "e"], { seed });
      const leaderOfTerm = new Map<number, string>();
      for (let t = 0; t < 60; t++) {
        c.tickAll(1, (m) => (m.from.charCodeAt(0) + m.to.charCodeAt(0) + t) % 7 !== 0); // some loss
        for (const l of c.leaders()) {
          const term = c.raw(l).status().term;
          const seen = leaderOfTerm.get(term);
          assert.ok(seen === undefined || seen === l, `seed ${seed}: term ${term} has leaders ${seen} and ${l}`);
          leaderOfTerm.set(term, l);
        }
      }
      assert.ok(leaderOfTerm.size > 0, `seed ${seed}: nobody was ever elected`);
    }
  });

  test("election timeouts are randomized within [electionTick, 2*electionTick)", () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const c = new Cluster(["a"], { seed, electionTick: 10 });
      let ticks = 0;
      while (c.leaders().length === 0) {
        c.tick("a");
        ticks++;
        assert.ok(ticks < 20, "single node did not elect itself within 2*electionTick");
      }
      assert.ok(ticks >= 10);
      seen.add(ticks);
    }
    assert.ok(seen.size > 3, `timeouts not randomized: ${[...seen]}`);
  });

  test("a candidate with a stale log is refused (§5.4.1 election restriction)", () => {
    const c = new Cluster(ids);
    c.campaign("a");
    c.isolate("c");
    c.propose("a", encodeKvCommand({ client: "x", seq: 1, key: "k", value: "v" }));
    c.heal();
    c.crash("a");
    c.campaign("c"); // c lacks the entry a and b have
    assert.notEqual(c.raw("c").status().role, "leader");
    c.campaign("b");
    assert.equal(c.raw("b").status().role, "leader");
  });

  test("a node votes at most once per term, and the vote survives a restart", () => {
    const c = new Cluster(ids);
    c.campaign("a", (m) => !(m.type === "vote" && m.to === "c")); // only b votes
    assert.equal(c.raw("b").status().vote, "a");
    const term = c.raw("b").status().term;
    c.crash("b");
    c.restart("b");
    assert.equal(c.raw("b").status().vote, "a");
    assert.equal(c.raw("b").status().term, term);
  });
});

describe("pre-vote (dissertation §9.6)", () => {
  test("a node rejoining after a partition does not depose the leader, and its term never inflated", () => {
    const c = new Cluster(ids, { preVote: true, checkQuorum: true });
    c.campaign("a");
    const term = c.raw("a").status().term;
    c.isolate("c");
    c.tick("c", 100); // many election timeouts alone
    assert.equal(c.raw("c").status().term, term, "pre-vote must not bump the term");
    c.heal();
    c.tickAll(5);
    assert.deepEqual(c.leaders(), ["a"]);
    assert.equal(c.raw("a").status().term, term);
  });

  test("without pre-vote the same rejoin inflates the term and the leader is deposed", () => {
    const c = new Cluster(ids, { preVote: false, checkQuorum: false });
    c.campaign("a");
    const term = c.raw("a").status().term;
    c.isolate("c");
    c.tick("c", 100);
    assert.ok(c.raw("c").status().term > term + 3);
    c.heal();
    c.tickAll(30);
    assert.ok(c.raw("a").status().term > term, "the leader should have learned the inflated term");
  });
});

describe("check-quorum (dissertation §6.2)", () => {
  test("an isolated leader steps down within one election timeout window", () => {
    const c = new Cluster(ids, { checkQuorum: true, preVote: true, electionTick: 10 });
    c.campaign("a");
    c.isolate("a");
    let ticks = 0;
    while (c.raw("a").status().role === "leader") {
      c.tick("a");
      ticks++;
      assert.ok(ticks <= 20, "leader kept leading without a quorum for two election timeouts");
    }
    assert.equal(c.raw("a").status().leader, null);
  });

  test("a leader that hears from a quorum keeps leading", () => {
    const c = new Cluster(ids, { checkQuorum: true, preVote: true });
    c.campaign("a");
    c.isolate("c");
    c.tickAll(100);
    assert.deepEqual(c.leaders(), ["a"]);
  });

  test("followers in lease ignore a disruptive candidate's vote request", () => {
    const c = new Cluster(ids, { checkQuorum: true, preVote: false });
    c.campaign("a");
    const term = c.raw("a").status().term;
    c.raw("c").campaign(); // c times out spuriously (e.g. after a stall)
    c.deliver();
    assert.equal(c.raw("b").status().term, term, "b heard from the leader recently and must ignore c");
    assert.deepEqual(c.leaders(), ["a"]);
  });
});

describe("configuration is validated", () => {
  test("electionTick must exceed heartbeatTick", () => {
    assert.throws(
      () => createRawNode({ id: "a", storage: new MemoryStorage(), electionTick: 1, heartbeatTick: 1, random: () => 0, preVote: true, checkQuorum: true, maxInflight: 1, maxMsgBytes: 1, leaseRead: false, applied: 0 }),
      (e: unknown) => e instanceof ConfigError && e.code === "RAFT_CONFIG" && e.field === "electionTick" && /heartbeatTick/.test(e.message),
    );
  });
  test("leaseRead requires checkQuorum", () => {
    assert.throws(
      () => createRawNode({ id: "a", storage: new MemoryStorage(), electionTick: 10, heartbeatTick: 1, random: () => 0, preVote: true, checkQuorum: false, maxInflight: 1, maxMsgBytes: 1, leaseRead: true, applied: 0 }),
      (e: unknown) => e instanceof ConfigError && e.field === "leaseRead",
    );
  });
});
