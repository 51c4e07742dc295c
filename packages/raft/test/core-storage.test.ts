// MemoryStorage's LogStorage contract, the raftLog's unstable/stable split,
// and quorum arithmetic checked against a simple model.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MemoryStorage } from "../src/memory-storage.js";
import { RaftLog } from "../src/core/log.js";
import { committedIndex, voteResult } from "../src/core/quorum.js";
import { CompactedError, RaftInvariantError, SnapshotOutOfDateError, UnavailableError, RaftError } from "../src/errors.js";
import type { Entry } from "../src/types.js";

const ent = (index: number, term: number, data = ""): Entry => ({ index, term, kind: "normal", data: new TextEncoder().encode(data) });
const conf = { voters: ["a", "b", "c"], learners: [] };

describe("MemoryStorage", () => {
  test("append truncates a conflicting suffix", () => {
    const s = new MemoryStorage(conf);
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.append([ent(2, 2)]);
    assert.equal(s.lastIndex(), 2);
    assert.equal(s.term(2), 2);
    assert.deepEqual(s.entries(1, 3).map((e) => e.term), [1, 2]);
  });

  test("entries below firstIndex throw CompactedError, above lastIndex UnavailableError", () => {
    const s = new MemoryStorage(conf);
    s.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2)]);
    s.createSnapshot(2, conf, new Uint8Array([9]));
    s.compact(2);
    assert.equal(s.firstIndex(), 3);
    assert.equal(s.term(2), 1, "the snapshot's index keeps its term");
    assert.throws(() => s.entries(2, 4), (e: unknown) => e instanceof CompactedError && e.code === "RAFT_COMPACTED" && e.firstIndex === 3);
    assert.throws(() => s.term(1), CompactedError);
    assert.throws(() => s.entries(3, 6), (e: unknown) => e instanceof UnavailableError && e.code === "RAFT_UNAVAILABLE" && e.lastIndex === 4);
  });

  test("entries respects maxBytes but always returns at least one entry", () => {
    const s = new MemoryStorage(conf);
    s.append([ent(1, 1, "x".repeat(100)), ent(2, 1, "y".repeat(100)), ent(3, 1)]);
    assert.equal(s.entries(1, 4, 1).length, 1);
    assert.equal(s.entries(1, 4, 240).length, 2);
    assert.equal(s.entries(1, 4).length, 3);
  });

  test("applySnapshot replaces the log; an older snapshot is refused", () => {
    const s = new MemoryStorage(conf);
    s.append([ent(1, 1), ent(2, 1)]);
    s.applySnapshot({ meta: { index: 10, term: 3, conf }, data: new Uint8Array() });
    assert.equal(s.firstIndex(), 11);
    assert.equal(s.lastIndex(), 10);
    assert.equal(s.term(10), 3);
    assert.throws(() => s.applySnapshot({ meta: { index: 5, term: 2, conf }, data: new Uint8Array() }), (e: unknown) => e instanceof SnapshotOutOfDateError && e.code === "RAFT_SNAPSHOT_OUT_OF_DATE");
  });

  test("a gap in appended entries is refused with a typed error", () => {
    const s = new MemoryStorage(conf);
    assert.throws(() => s.append([ent(5, 1)]), (e: unknown) => e instanceof RaftError && e.code === "RAFT_STORAGE" && /gap/.test(e.message));
  });

  test("property: after any sequence of appends, storage equals a model array with suffix truncation", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(20), n: fc.integer({ min: 1, max: 5 }), term: fc.integer({ min: 1, max: 5 }) }), { maxLength: 20 }), (ops) => {
        const s = new MemoryStorage(conf);
        let model: number[] = []; // model[i] = term of index i+1
        for (const op of ops) {
          const start = Math.min(op.at, model.length) + 1;
          const ents = Array.from({ length: op.n }, (_, i) => ent(start + i, op.term));
          s.append(ents);
          model = model.slice(0, start - 1).concat(ents.map((e) => e.term));
        }
        assert.equal(s.lastIndex(), model.length);
        if (model.length > 0) assert.deepEqual(s.entries(1, model.length + 1).map((e) => e.term), model);
      }),
    );
  });
});

describe("raftLog", () => {
  test("unstable entries shadow storage until stableTo, and a stale stableTo is ignored", () => {
    const s = new MemoryStorage(conf);
    s.append([ent(1, 1), ent(2, 1)]);
    const log = new RaftLog(s, 0, 0);
    log.append([ent(3, 2), ent(4, 2)]);
    assert.equal(log.lastIndex(), 4);
    assert.deepEqual(log.slice(1, 5).map((e) => e.index), [1, 2, 3, 4]);
    // A leader change rewrote index 4 after the Ready was taken: stableTo(4, 2) must not drop it.
    log.append([ent(4, 3)]);
    log.stableTo(4, 2);
    assert.equal(log.unstable.length, 2);
    s.append(log.unstable);
    log.stableTo(4, 3);
    assert.equal(log.unstable.length, 0);
    assert.equal(log.term(4), 3);
  });

  test("findConflictByTerm skips a whole divergent term", () => {
    const s = new MemoryStorage(conf);
    s.append([ent(1, 1), ent(2, 1), ent(3, 4), ent(4, 4), ent(5, 4)]);
    const log = new RaftLog(s, 0, 0);
    assert.equal(log.findConflictByTerm(5, 2), 2);
    assert.equal(log.findConflictByTerm(5, 4), 5);
    assert.equal(log.findConflictByTerm(9, 1), 2);
  });

  test("a request to overwrite a committed entry is refused with RAFT_INVARIANT, leaving the log intact", () => {
    const s = new MemoryStorage(conf);
    s.append([ent(1, 1), ent(2, 1)]);
    const log = new RaftLog(s, 2, 0);
    assert.throws(() => log.maybeAppend(1, 1, 2, [ent(2, 9)]), (e: unknown) => e instanceof RaftInvariantError && e.code === "RAFT_INVARIANT" && /committed/.test(e.message));
    assert.equal(log.term(2), 1);
  });

  test("maybeCommit only commits an entry of the given term (Figure 8)", () => {
    const s = new MemoryStorage(conf);
    s.append([ent(1, 1), ent(2, 2), ent(3, 3)]);
    const log = new RaftLog(s, 0, 0);
    assert.equal(log.maybeCommit(2, 3), false);
    assert.equal(log.committed, 0);
    assert.equal(log.maybeCommit(3, 3), true);
    assert.equal(log.committed, 3);
  });
});

describe("quorum (property against a counting model)", () => {
  const ids = ["a", "b", "c", "d", "e", "f", "g"];
  test("committedIndex is the largest index a majority has reached (up to 40 voters: past its scratch buffer)", () => {
    const many = Array.from({ length: 40 }, (_, i) => `n${i}`);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(20), { minLength: 40, maxLength: 40 }), (n, matches) => {
        const voters = many.slice(0, n);
        const match = (id: string) => matches[many.indexOf(id)]!;
        let expected = 0;
        for (let i = 0; i <= 20; i++) if (voters.filter((v) => match(v) >= i).length > n / 2) expected = i;
        assert.equal(committedIndex(voters, match), expected);
      }),
    );
  });
  test("voteResult: won with a majority of grants, lost once a majority is impossible", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.array(fc.option(fc.boolean(), { nil: undefined }), { minLength: 7, maxLength: 7 }), (n, vs) => {
        const voters = ids.slice(0, n);
        const votes = new Map<string, boolean>();
        voters.forEach((v, i) => {
          const g = vs[i];
          if (g !== undefined) votes.set(v, g);
        });
        const granted = [...votes.values()].filter(Boolean).length;
        const rejected = [...votes.values()].filter((g) => !g).length;
        const q = Math.floor(n / 2) + 1;
        const expected = granted >= q ? "won" : n - rejected < q ? "lost" : "pending";
        assert.equal(voteResult(voters, votes), expected);
      }),
    );
  });
});
