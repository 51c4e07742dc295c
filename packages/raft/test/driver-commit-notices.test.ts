import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CommitNotices } from "../src/driver/commit-notices.js";
import type { Entry, Message, MessageType } from "../src/types.js";

const entry: Entry = { term: 1, index: 1, kind: "normal", data: Uint8Array.of(1) };
const msg = (type: MessageType, to: string, over: Partial<Message> = {}): Message => ({
  type, from: "L", to, term: 2, logTerm: 2, index: 10, entries: [], commit: 10, reject: false, rejectHint: 0, snapshot: null, context: new Uint8Array(0), ...over,
});
const notice = (to: string, commit: number, term = 2): Message => msg("append", to, { commit, term });
const append = (to: string, commit: number, term = 2): Message => msg("append", to, { commit, term, entries: [entry] });

function recorder(delayMs: number): { c: CommitNotices; sent: Message[][] } {
  const sent: Message[][] = [];
  return { c: new CommitNotices((m) => sent.push([...m]), delayMs), sent };
}

describe("commit notices (entry-less appends) held for the next append", () => {
  test("a notice followed by an append to the same peer is dropped; the append carries the commit", () => {
    const { c, sent } = recorder(10);
    c.submit([notice("a", 11), notice("b", 11)]);
    assert.deepEqual(sent, []);
    c.submit([append("a", 11)]);
    assert.deepEqual(sent, [[append("a", 11)]]);
    assert.equal(c.heldCount, 1, "b's notice still waits");
  });

  test("held notices go out when the delay ends", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const { c, sent } = recorder(10);
    c.submit([notice("a", 11), notice("b", 12)]);
    t.mock.timers.tick(9);
    assert.deepEqual(sent, []);
    t.mock.timers.tick(1);
    assert.deepEqual(sent, [[notice("a", 11), notice("b", 12)]]);
    assert.equal(c.heldCount, 0);
  });

  test("anything else to the peer goes after the held notice, in order", () => {
    const { c, sent } = recorder(10);
    c.submit([notice("a", 11)]);
    c.submit([msg("heartbeat", "a", { commit: 11 }), append("b", 11)]);
    assert.deepEqual(sent, [[notice("a", 11), msg("heartbeat", "a", { commit: 11 }), append("b", 11)]]);
    c.submit([notice("a", 12)]);
    c.submit([append("a", 11)]);
    assert.deepEqual(sent[1], [notice("a", 12), append("a", 11)], "an append with an older commit does not replace the notice");
  });

  test("a notice of a newer term does not swallow one of an older term", () => {
    const { c, sent } = recorder(10);
    c.submit([notice("a", 11, 2)]);
    c.submit([notice("a", 12, 3)]);
    assert.deepEqual(sent, [[notice("a", 11, 2)]]);
    c.flush();
    assert.deepEqual(sent[1], [notice("a", 12, 3)]);
  });

  test("delay 0 sends everything at once; clear() forgets held notices and refuses new ones", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const zero = recorder(0);
    zero.c.submit([notice("a", 11)]);
    assert.deepEqual(zero.sent, [[notice("a", 11)]]);
    const { c, sent } = recorder(5);
    c.submit([notice("a", 11)]);
    c.clear();
    t.mock.timers.tick(100);
    c.submit([append("a", 12)]);
    c.flush();
    assert.deepEqual(sent, [], "a stopped node sends nothing, held or new");
  });

  test("property: per peer, output is the input minus superseded notices, and the newest commit of each term reaches the peer", () => {
    const arbMsg = fc.record({
      to: fc.constantFrom("a", "b", "c"),
      kind: fc.constantFrom("notice", "append", "heartbeat", "timeoutNow"),
      commit: fc.integer({ min: 0, max: 20 }),
      term: fc.integer({ min: 1, max: 3 }),
    }).map(({ to, kind, commit, term }) =>
      kind === "notice" ? notice(to, commit, term) : kind === "append" ? append(to, commit, term) : msg(kind as MessageType, to, { commit, term }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(arbMsg, { maxLength: 5 }), { maxLength: 20 }), (batches) => {
        const { c, sent } = recorder(10);
        for (const b of batches) c.submit(b);
        c.flush();
        const input = batches.flat();
        const output = sent.flat();
        for (const peer of ["a", "b", "c"]) {
          const inp = input.filter((m) => m.to === peer);
          const out = output.filter((m) => m.to === peer);
          // Output is a subsequence of input (same objects, same order) ...
          let i = 0;
          for (const m of out) {
            while (i < inp.length && inp[i] !== m) i++;
            assert.ok(i < inp.length, "output holds a message out of order or not in the input");
            i++;
          }
          // ... missing only notices, each covered later by an append of the same term with a commit at least as new.
          for (const [k, m] of inp.entries()) {
            if (out.includes(m)) continue;
            assert.ok(m.type === "append" && m.entries.length === 0, `dropped a ${m.type}`);
            assert.ok(
              inp.slice(k + 1).some((n) => out.includes(n) && n.type === "append" && n.term === m.term && n.commit >= m.commit),
              "a dropped notice has no later append that carries its commit",
            );
          }
        }
        assert.equal(c.heldCount, 0);
      }),
      { numRuns: 500 },
    );
  });
});
