// The linearizability checker against hand-written histories and, for tiny
// histories, against brute force over every real-time-respecting order.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkLinearizable, kvModel, type KvInput, type KvOutput, type Operation } from "../src/linearizability/index.js";

type Op = Operation<KvInput, KvOutput>;
const put = (client: string, key: string, value: string, call: number, ret: number): Op => ({ client, input: { op: "put", key, value }, output: null, call, ret });
const get = (client: string, key: string, value: string | null, call: number, ret: number): Op => ({ client, input: { op: "get", key }, output: value, call, ret });

describe("linearizability checker: hand-written histories", () => {
  const cases: { name: string; ok: boolean; history: Op[] }[] = [
    { name: "sequential put then get", ok: true, history: [put("a", "x", "1", 0, 1), get("b", "x", "1", 2, 3)] },
    { name: "get of a never-written key returns null", ok: true, history: [get("a", "x", null, 0, 1)] },
    { name: "stale read after a completed put", ok: false, history: [put("a", "x", "1", 0, 1), get("b", "x", null, 2, 3)] },
    { name: "read concurrent with a put may see old or new (old)", ok: true, history: [put("a", "x", "1", 0, 10), get("b", "x", null, 1, 2)] },
    { name: "read concurrent with a put may see old or new (new)", ok: true, history: [put("a", "x", "1", 0, 10), get("b", "x", "1", 1, 2)] },
    {
      name: "new value then old value in sequence (reads going back in time)",
      ok: false,
      history: [put("a", "x", "1", 0, 10), get("b", "x", "1", 1, 2), get("c", "x", null, 3, 4)],
    },
    {
      name: "two overlapping puts, readers agree on one order",
      ok: true,
      history: [put("a", "x", "1", 0, 10), put("b", "x", "2", 0, 10), get("c", "x", "1", 11, 12), get("d", "x", "1", 13, 14)],
    },
    {
      name: "two overlapping puts, readers see both orders after both completed",
      ok: false,
      history: [put("a", "x", "1", 0, 10), put("b", "x", "2", 0, 10), get("c", "x", "1", 11, 12), get("d", "x", "2", 13, 14), get("e", "x", "1", 15, 16)],
    },
    { name: "a read of a value nobody wrote", ok: false, history: [put("a", "x", "1", 0, 1), get("b", "x", "7", 2, 3)] },
    { name: "pending put may take effect later", ok: true, history: [put("a", "x", "1", 0, Infinity), get("b", "x", null, 1, 2), get("b", "x", "1", 3, 4)] },
    { name: "pending put may never take effect", ok: true, history: [put("a", "x", "1", 0, Infinity), get("b", "x", null, 5, 6)] },
    { name: "keys are independent", ok: true, history: [put("a", "x", "1", 0, 1), put("a", "y", "2", 2, 3), get("b", "x", "1", 4, 5), get("b", "y", "2", 4, 5)] },
    { name: "violation on one key is found among others", ok: false, history: [put("a", "x", "1", 0, 1), put("a", "y", "2", 2, 3), get("b", "x", "1", 4, 5), get("b", "y", null, 6, 7)] },
  ];
  for (const c of cases) {
    test(`${c.ok ? "linearizable" : "NOT linearizable"}: ${c.name}`, () => {
      const r = checkLinearizable(kvModel, c.history);
      assert.equal(r.ok, c.ok, r.ok ? "expected a violation" : r.description);
      if (!r.ok) {
        assert.match(r.description, /not linearizable/);
        assert.ok(r.operations.length > 0);
      }
    });
  }
});

/** Brute force: some permutation respecting real time (a.ret < b.call => a before b) is a legal sequential run. */
function bruteForce(history: Op[]): boolean {
  const n = history.length;
  const used = new Array<boolean>(n).fill(false);
  const store = new Map<string, string | null>();
  const rec = (depth: number): boolean => {
    if (depth === n) return true;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      const op = history[i]!;
      // op may go next only if no unused op finished strictly before it started.
      if (history.some((o, j) => !used[j] && j !== i && o.ret < op.call)) continue;
      const prev = store.has(op.input.key) ? store.get(op.input.key)! : null;
      if (op.input.op === "get" && op.output !== prev) continue;
      used[i] = true;
      if (op.input.op === "put") store.set(op.input.key, op.input.value);
      const ok = rec(depth + 1);
      used[i] = false;
      if (op.input.op === "put") {
        if (prev === null) store.delete(op.input.key);
        else store.set(op.input.key, prev);
      }
      if (ok) return true;
    }
    return false;
  };
  return rec(0);
}

describe("linearizability checker: property against brute force", () => {
  const opArb: fc.Arbitrary<Op> = fc
    .record({
      client: fc.constantFrom("a", "b", "c"),
      isPut: fc.boolean(),
      key: fc.constantFrom("x", "y"),
      value: fc.constantFrom("1", "2", "3"),
      readsNull: fc.boolean(),
      call: fc.nat(20),
      len: fc.integer({ min: 1, max: 8 }),
      pending: fc.boolean(),
    })
    .map((r) =>
      r.isPut
        ? put(r.client, r.key, r.value, r.call, r.pending && r.len > 6 ? Infinity : r.call + r.len)
        : get(r.client, r.key, r.readsNull ? null : r.value, r.call, r.call + r.len),
    );
  test("agrees with brute force on random histories of up to 6 operations", () => {
    let violations = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 6 }), (history) => {
        const expected = bruteForce(history);
        if (!expected) violations++;
        assert.equal(checkLinearizable(kvModel, history).ok, expected);
      }),
      { numRuns: 2000 },
    );
    // The generator must exercise both outcomes for the comparison to mean anything.
    assert.ok(violations > 50, `only ${violations} non-linearizable histories generated`);
  });
});
