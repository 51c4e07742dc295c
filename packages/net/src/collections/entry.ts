/**
 * One entry of a public collection. `seq` numbers the collection's entries
 * 1, 2, 3… in append order; since every member appends from the same
 * committed Raft entries in the same order, (slot, seq, data) is identical on
 * every honest member, which is what quorum reads compare.
 */
export interface CollectionEntry {
  readonly seq: number;
  readonly slot: number;
  readonly data: Uint8Array;
}
