// Leader transfer (dissertation §3.10), learners and single-server membership
// changes (dissertation §4.1, §4.2.1), including replaceVoter.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "../src/sim/cluster.js";
import { encodeKvCommand } from "../src/sim/kv-machine.js";
import { ConfChangeError, ProposalDroppedError } from "../src/errors.js";

let seq = 0;
const put = (key: string, value: string) => encodeKvCommand({ client: "m", seq: ++seq, key, value });

describe("leader transfer (dissertation §3.10)", () => {
  test("the leader catches the target up, sends timeoutNow, and the target wins without pre-vote", () => {
    const c = new Cluster(["a", "b", "c"], { preVote: true, checkQuorum: true });
    c.campaign("a");
    c.isolate("c");
    for (let i = 0; i < 5; i++) c.propose("a", put("k", `v${i}`));
    c.heal();
    const term = c.raw("a").status().term;
    c.raw("a").transferLeader("c"); // c is behind: the leader must first catch it up
    c.deliver();
    assert.deepEqual(c.leaders(), ["c"]);
    assert.equal(c.raw("c").status().term, term + 1);
    assert.ok(c.delivered.some((m) => m.type === "timeoutNow" && m.to === "c"));
    assert.equal(c.node("c").sm.get("k"), "v4");
    c.propose("c", put("k", "after"));
    assert.equal(c.node("a").sm.get("k"), "after");
  });

  test("proposals are refused while a transfer is in progress, and the transfer aborts after an election timeout", () => {
    const c = new Cluster(["a", "b", "c"], { electionTick: 10 });
    c.campaign("a");
    c.isolate("c");
    c.raw("a").transferLeader("c");
    c.deliver();
    assert.throws(() => c.raw("a").propose(put("k", "v")), (e: unknown) => e instanceof ProposalDroppedError && e.reason === "transferring");
    c.tick("a", 10);
    assert.deepEqual(c.leaders(), ["a"]);
    assert.doesNotThrow(() => c.raw("a").propose(put("k", "v")));
  });

  test("transferring to a non-member is refused with a ConfChangeError", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    assert.throws(() => c.raw("a").transferLeader("zz"), (e: unknown) => e instanceof ConfChangeError && /not a voter/.test(e.message));
  });
});

describe("learners", () => {
  test("a learner catches up, applies the same commands, never campaigns and is not counted in the quorum", () => {
    const c = new Cluster(["a", "b", "c"], {}, ["l"]);
    c.campaign("a");
    for (let i = 0; i < 5; i++) c.propose("a", put("k", `v${i}`));
    assert.equal(c.node("l").sm.hash(), c.node("a").sm.hash());
    c.isolate("a");
    c.tick("l", 200);
    assert.equal(c.raw("l").status().role, "follower");
    assert.ok(!c.delivered.some((m) => m.from === "l" && (m.type === "vote" || m.type === "preVote" || m.type === "voteResp")), "learner took part in an election");
    assert.throws(() => c.raw("l").campaign(), ProposalDroppedError);
    // Quorum: with b and c down, a and the learner cannot commit.
    c.heal();
    c.crash("b");
    c.crash("c");
    const commit = c.raw("a").status().commit;
    c.propose("a", put("k", "no-quorum"));
    assert.equal(c.raw("a").status().commit, commit);
  });

  test("addLearner then promoteLearner makes a voter that can lead", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.raw("a").proposeConfChange({ type: "addLearner", node: "d" });
    c.deliver();
    c.add("d");
    c.tickAll(2);
    c.raw("a").proposeConfChange({ type: "promoteLearner", node: "d" });
    c.deliver();
    c.tickAll(2);
    for (const id of ["a", "b", "c", "d"]) assert.deepEqual(c.raw(id).status().conf.voters, ["a", "b", "c", "d"]);
    c.raw("a").transferLeader("d");
    c.deliver();
    assert.deepEqual(c.leaders(), ["d"]);
  });
});

describe("membership changes (dissertation §4.1)", () => {
  test("only one change may be pending: a second proposal is dropped until the first is applied", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.isolate("b");
    c.isolate("c");
    c.raw("a").proposeConfChange({ type: "addLearner", node: "d" });
    assert.throws(
      () => c.raw("a").proposeConfChange({ type: "addLearner", node: "e" }),
      (e: unknown) => e instanceof ProposalDroppedError && e.reason === "confChangePending" && /one at a time/.test(e.message),
    );
    c.heal();
    c.tickAll(2);
    assert.doesNotThrow(() => c.raw("a").proposeConfChange({ type: "addLearner", node: "e" }));
  });

  test("invalid changes are refused at proposal time with the reason", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    assert.throws(() => c.raw("a").proposeConfChange({ type: "promoteLearner", node: "zz" }), (e: unknown) => e instanceof ConfChangeError && e.code === "RAFT_CONF_CHANGE" && /not a learner/.test(e.message));
    assert.throws(() => c.raw("a").proposeConfChange({ type: "replaceVoter", remove: "zz", add: "d" }), ConfChangeError);
    assert.throws(() => c.raw("a").proposeConfChange({ type: "addLearner", node: "b" }), /already a member/);
  });

  test("replaceVoter swaps one identity in two single-server steps and the group keeps committing", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.propose("a", put("k", "before"));
    c.raw("a").proposeConfChange({ type: "replaceVoter", remove: "c", add: "d" });
    c.deliver();
    // Step one applied: c removed, d a learner marked for promotion.
    assert.deepEqual(c.raw("a").status().conf, { voters: ["a", "b"], learners: ["d"], autoPromote: ["d"] });
    assert.throws(() => c.raw("a").proposeConfChange({ type: "addLearner", node: "e" }), (e: unknown) => e instanceof ProposalDroppedError && e.reason === "confChangePending");
    c.add("d");
    c.tickAll(5);
    // Step two: the leader promoted d once it caught up.
    for (const id of ["a", "b", "d"]) assert.deepEqual(c.raw(id).status().conf, { voters: ["a", "b", "d"], learners: [] });
    assert.equal(c.node("d").sm.get("k"), "before");
    c.crash("c"); // the old identity is gone
    c.propose("a", put("k", "after"));
    assert.equal(c.node("d").sm.get("k"), "after");
    c.crash("a");
    c.tickAll(40);
    const leaders = c.leaders();
    assert.equal(leaders.length, 1);
    assert.ok(["b", "d"].includes(leaders[0]!));
  });

  test("a removed leader steps down and the remaining voters elect a new one", () => {
    const c = new Cluster(["a", "b", "c"]);
    c.campaign("a");
    c.raw("a").proposeConfChange({ type: "removeNode", node: "a" });
    c.deliver();
    assert.notEqual(c.raw("a").status().role, "leader");
    c.tickAll(40);
    const leaders = c.leaders();
    assert.equal(leaders.length, 1);
    assert.ok(["b", "c"].includes(leaders[0]!));
    assert.deepEqual(c.raw(leaders[0]!).status().conf.voters, ["b", "c"]);
  });
});
