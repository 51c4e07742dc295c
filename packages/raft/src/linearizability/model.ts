// Sequential specifications the checker tests histories against. A model is
// a pure step function over immutable states, partitioned by key so each
// key's sub-history is checked on its own (linearizability is compositional:
// Herlihy & Wing 1990, Theorem 1).

export interface Model<S, I, O> {
  init(): S;
  /** Applies `input` to `state`; returns the next state if `output` is what the spec allows, else undefined. */
  step(state: S, input: I, output: O): S | undefined;
  /** Cache key for a state (memoization compares states by this). */
  key(state: S): string;
  partition?(input: I): string;
  describe(input: I, output: O): string;
}

export type KvInput = { readonly op: "put"; readonly key: string; readonly value: string } | { readonly op: "get"; readonly key: string };
/** get: the value read (null when absent); put: null. */
export type KvOutput = string | null;

/** A map of registers: put overwrites, get returns the latest value (null when never written). */
export const kvModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    if (input.op === "put") return input.value;
    return output === state ? state : undefined;
  },
  key: (s) => (s === null ? "\u0000" : `v${s}`),
  partition: (input) => input.key,
  describe: (input, output) => (input.op === "put" ? `put(${input.key}=${input.value})` : `get(${input.key}) -> ${output ?? "null"}`),
};
