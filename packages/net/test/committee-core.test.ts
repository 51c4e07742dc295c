// Pure parts of the committee: the forwarding codec, the applied-entry feed
// and option validation.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  AppliedFeed,
  CommitteeError,
  decodeForwardRequest,
  decodeForwardResponse,
  encodeForwardRequest,
  encodeForwardResponse,
  FORWARD_OUTCOMES,
  outcomeOf,
  validateCommitteeOptions,
  type CommitteeOptions,
  type ForwardResponse,
} from "../src/committee/index.js";
import { ProposalDroppedError, RaftDriverError } from "@builder/raft";

const requestArb = fc.record({
  requestId: fc.option(fc.record({ clientId: fc.string({ minLength: 1, maxLength: 40 }), seq: fc.nat() }), { nil: null }),
  data: fc.uint8Array({ maxLength: 200 }),
});
const responseArb: fc.Arbitrary<ForwardResponse> = fc.oneof(
  fc.record({ ok: fc.constant(true as const), term: fc.nat(), index: fc.nat(), result: fc.uint8Array({ maxLength: 100 }) }),
  fc.record({
    ok: fc.constant(false as const),
    outcome: fc.constantFrom(...FORWARD_OUTCOMES),
    leader: fc.option(fc.string({ minLength: 1, maxLength: 60 }), { nil: null }),
    code: fc.string({ maxLength: 40 }),
    message: fc.string({ maxLength: 200 }),
  }),
);

describe("forwarding codec", () => {
  test("requests round-trip", () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const back = decodeForwardRequest(encodeForwardRequest(r));
        assert.deepEqual(back.requestId, r.requestId && { ...r.requestId });
        assert.deepEqual([...back.data], [...r.data]);
      }),
    );
  });

  test("responses round-trip", () => {
    fc.assert(
      fc.property(responseArb, (r) => {
        const back = decodeForwardResponse(encodeForwardResponse(r));
        if (r.ok) assert.deepEqual({ ...back, result: [...(back as { result: Uint8Array }).result] }, { ...r, result: [...r.result] });

        else assert.deepEqual(back, { ...r });
      }),
    );
  });

  test("arbitrary bytes decode or fail with COMMITTEE_FORWARD_DECODE", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        for (const decode of [decodeForwardRequest, decodeForwardResponse]) {
          try {
            decode(b);
          } catch (err) {
            assert.ok(err instanceof CommitteeError, String(err));
            assert.equal(err.code, "COMMITTEE_FORWARD_DECODE");
          }
        }
      }),
    );
  });

  test("rejects an unknown version and outcome, naming the field", () => {
    assert.throws(() => decodeForwardRequest(Uint8Array.of(9, 0)), { code: "COMMITTEE_FORWARD_DECODE", message: /field "version"/ });
    assert.throws(() => decodeForwardResponse(Uint8Array.of(1, 7, 0, 0, 0)), { code: "COMMITTEE_FORWARD_DECODE", message: /field "outcome"/ });
  });

  test("sorts driver failures by what a retry may do", () => {
    assert.equal(outcomeOf(new ProposalDroppedError("notLeader", "x")), "not_applied");
    assert.equal(outcomeOf(new ProposalDroppedError("tooLarge", null)), "failed");
    assert.equal(outcomeOf(new RaftDriverError("RAFT_PROPOSAL_OVERWRITTEN", "o")), "not_applied");
    assert.equal(outcomeOf(new RaftDriverError("RAFT_PROPOSAL_OUTCOME_UNKNOWN", "u")), "unknown");
    assert.equal(outcomeOf(new RaftDriverError("RAFT_APPLY_FAILED", "f")), "failed");
    assert.equal(outcomeOf(new Error("other")), "failed");
  });
});

describe("AppliedFeed", () => {
  test("an iterator yields applied entries in order with their results", async () => {
    const feed = new AppliedFeed<string>();
    const ac = new AbortController();
    const it = feed.iterate({ signal: ac.signal });
    const first = it.next();
    for (let i = 1; i <= 3; i++) feed.emit(Uint8Array.of(i), { index: i, term: 1 }, `r${i}`);
    assert.deepEqual((await first).value, { index: 1, term: 1, data: Uint8Array.of(1), result: "r1" });
    assert.equal((await it.next()).value?.result, "r2");
    assert.equal((await it.next()).value?.index, 3);
    ac.abort();
    assert.equal((await it.next()).done, true);
  });

  test("a consumer further behind than maxBuffered gets COMMITTEE_CONSUMER_LAGGED, not unbounded memory", async () => {
    const feed = new AppliedFeed<number>();
    const it = feed.iterate({ maxBuffered: 2 });
    const first = it.next();
    for (let i = 1; i <= 5; i++) feed.emit(new Uint8Array(), { index: i, term: 1 }, i);
    // Entries 1 and 2 fill the buffer; entry 3 finds it full: what was buffered is still delivered, then the error.
    assert.equal((await first).value?.index, 1);
    assert.equal((await it.next()).value?.index, 2);
    await assert.rejects(it.next(), (err: unknown) => {
      assert.ok(err instanceof CommitteeError);
      assert.equal(err.code, "COMMITTEE_CONSUMER_LAGGED");
      assert.equal(err.fields.index, 3);
      return true;
    });
  });
});

describe("startCommittee options", () => {
  const base: CommitteeOptions<null> = {
    organism: "unseal",
    groupId: new Uint8Array(32),
    committeeSecret: new Uint8Array(32),
    members: ["12D3KooWGzh6Jm4VNgBFPGhhvL8tGLbDR9N7DRP1F8cXe8FKbJmz"],
    dataDir: "/tmp/x",
    stateMachine: { apply: () => null, snapshot: () => new Uint8Array(), restore: () => {} },
  };
  const cases: { name: string; patch: Partial<CommitteeOptions<null>>; field: string }[] = [
    { name: "an organism that is not a metric prefix", patch: { organism: "Un-Seal" }, field: "organism" },
    { name: "a short GroupId", patch: { groupId: new Uint8Array(16) }, field: "groupId.length" },
    { name: "no members", patch: { members: [] }, field: "members" },
    { name: "a member that is not a peer id", patch: { members: ["not-a-peer"] }, field: "members[0]" },
    { name: "a duplicated member", patch: { members: [base.members[0]!, base.members[0]!] }, field: "members" },
    { name: "an empty dataDir", patch: { dataDir: "" }, field: "dataDir" },
  ];
  for (const c of cases) {
    test(`refuses ${c.name} with COMMITTEE_CONFIG naming ${c.field}`, () => {
      assert.throws(() => validateCommitteeOptions({ ...base, ...c.patch }), (err: unknown) => {
        assert.ok(err instanceof CommitteeError);
        assert.equal(err.code, "COMMITTEE_CONFIG");
        assert.equal(err.fields.field, c.field);
        assert.match(err.message, new RegExp(`startCommittee: ${c.field.replace(/[[\].]/g, "\\$&")} is`));
        return true;
      });
    });
  }
  test("accepts a valid configuration", () => {
    validateCommitteeOptions(base);
  });
});
