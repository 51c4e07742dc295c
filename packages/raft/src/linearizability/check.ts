// Linearizability checking by Wing & Gong's search with Lowe's
// memoization, as in Porcupine: walk the history's call/return events in
// time order, tentatively linearize a call whose step the model accepts
// (lifting it and its return out of the list), backtrack on a return that
// cannot be passed, and never revisit a (linearized-set, state) pair.
// Worst case exponential in the number of concurrent operations; histories
// from the simulation have at most a handful of clients per key.
import type { Model } from "./model.js";

export interface Operation<I, O> {
  readonly client: string;
  readonly input: I;
  readonly output: O;
  /** Invocation time. */
  readonly call: number;
  /** Response time; Infinity for an operation that never returned (it may or may not have taken effect). */
  readonly ret: number;
}

export type CheckResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly partition: string; readonly description: string; readonly operations: readonly string[] };

interface Ev {
  id: number;
  isCall: boolean;
  time: number;
  match: Ev | null; // call -> its return
  prev: Ev | null;
  next: Ev | null;
}

function buildList(n: number, calls: number[], rets: number[]): Ev {
  const evs: Ev[] = [];
  for (let i = 0; i < n; i++) {
    const ret: Ev = { id: i, isCall: false, time: rets[i]!, match: null, prev: null, next: null };
    const call: Ev = { id: i, isCall: true, time: calls[i]!, match: ret, prev: null, next: null };
    evs.push(call, ret);
  }
  // Calls sort before returns at equal times, so touching operations count as concurrent.
  evs.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.id - b.id : a.isCall ? -1 : 1));
  const head: Ev = { id: -1, isCall: false, time: -Infinity, match: null, prev: null, next: null };
  let prev = head;
  for (const e of evs) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

function lift(e: Ev): void {
  e.prev!.next = e.next;
  if (e.next) e.next.prev = e.prev;
  const r = e.match!;
  r.prev!.next = r.next;
  if (r.next) r.next.prev = r.prev;
}

function unlift(e: Ev): void {
  const r = e.match!;
  r.prev!.next = r;
  if (r.next) r.next.prev = r;
  e.prev!.next = e;
  if (e.next) e.next.prev = e;
}

function checkPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): { ok: true } | { ok: false; longest: number[] } {
  const n = ops.length;
  const head = buildList(n, ops.map((o) => o.call), ops.map((o) => o.ret));
  const words = Math.ceil(n / 32) || 1;
  const linearized = new Uint32Array(words);
  const cache = new Set<string>();
  const stack: { ev: Ev; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let longest: number[] = [];
  while (head.next !== null) {
    if (entry === null) break;
    if (entry.isCall) {
      const op = ops[entry.id]!;
      const next = model.step(state, op.input, op.output);
      if (next !== undefined) {
        linearized[entry.id >>> 5]! |= 1 << (entry.id & 31);
        const key = `${linearized.join(",")}|${model.key(next)}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ ev: entry, state });
          state = next;
          lift(entry);
          if (stack.length > longest.length) longest = stack.map((s) => s.ev.id);
          entry = head.next;
          continue;
        }
        linearized[entry.id >>> 5]! &= ~(1 << (entry.id & 31));
      }
      entry = entry.next;
    } else {
      // A return reached before its call was linearized: undo the last choice.
      const top = stack.pop();
      if (!top) return { ok: false, longest };
      linearized[top.ev.id >>> 5]! &= ~(1 << (top.ev.id & 31));
      state = top.state;
      unlift(top.ev);
      entry = top.ev.next;
    }
  }
  return { ok: true };
}

/** Checks a history against `model`, one partition (key) at a time. */
export function checkLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[]): CheckResult {
  const parts = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    const p = model.partition ? model.partition(op.input) : "";
    let list = parts.get(p);
    if (!list) parts.set(p, (list = []));
    list.push(op);
  }
  for (const [p, ops] of parts) {
    const r = checkPartition(model, ops);
    if (!r.ok) {
      const fmt = (o: Operation<I, O>) => `${o.client}: ${model.describe(o.input, o.output)} [${o.call}, ${o.ret === Infinity ? "pending" : o.ret}]`;
      const prefix = r.longest.map((i) => fmt(ops[i]!));
      const description =
        `history of partition "${p}" (${ops.length} operations) is not linearizable; ` +
        `the longest linearizable prefix found has ${prefix.length} operation(s): ${prefix.join(" ; ") || "(none)"}`;
      return { ok: false, partition: p, description, operations: [...ops].sort((a, b) => a.call - b.call).map(fmt) };
    }
  }
  return { ok: true };
}
