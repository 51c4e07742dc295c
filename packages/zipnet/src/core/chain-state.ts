// The server's persisted pad chains of one key epoch (docs/adr/0006): what it
// keeps on disk instead of the epoch's private key. Each chain is stored at
// the first round it has not served, so the file can never re-derive a pad
// that was already used. Exact-length codec; counts checked before use.
import { Reader, Writer, fromHex, toHex } from "../bytes.js";
import { ZipnetError, fieldError } from "../errors.js";
import { ID_BYTES, MAX_PARTICIPANTS, type ServerId } from "../proto.js";
import type { RatchetState } from "./keys.js";

export const CHAIN_STATE_VERSION = 1;
const CHAIN_BYTES = 32;

export interface ChainStateFile {
  readonly serverId: ServerId;
  readonly epoch: number;
  /** Sorted by clientId, unique. */
  readonly chains: readonly RatchetState[];
}

/** Bytes of a file holding `n` chains: version, serverId, epoch, count, then (id, round, chain) each. */
export const chainStateBytes = (n: number): number => 1 + ID_BYTES + 8 + 4 + n * (ID_BYTES + 8 + CHAIN_BYTES);

export function encodeChainState(s: ChainStateFile): Uint8Array {
  if (s.chains.length > MAX_PARTICIPANTS) {
    throw new ZipnetError("ZIPNET_ENCODE_FIELD", `ChainStateFile: at most ${MAX_PARTICIPANTS} chains.`, { field: "chains", got: s.chains.length });
  }
  const w = new Writer().u8(CHAIN_STATE_VERSION).raw(fromHex(s.serverId, ID_BYTES, "serverId")).u64(s.epoch).u32(s.chains.length);
  let prev = "";
  for (const c of s.chains) {
    if (!(prev < c.clientId)) throw new ZipnetError("ZIPNET_ENCODE_FIELD", "ChainStateFile: chains must be sorted by clientId without duplicates.", { field: "chains", got: c.clientId });
    if (c.chain.length !== CHAIN_BYTES) throw new ZipnetError("ZIPNET_ENCODE_FIELD", `ChainStateFile: a chain key is ${CHAIN_BYTES} bytes.`, { field: "chain", got: c.chain.length });
    prev = c.clientId;
    w.raw(fromHex(c.clientId, ID_BYTES, "clientId")).u64(c.nextRound).raw(c.chain);
  }
  return w.finish();
}

export function decodeChainState(bytes: Uint8Array): ChainStateFile {
  const r = new Reader(bytes, "ChainStateFile");
  const v = r.u8("version");
  if (v !== CHAIN_STATE_VERSION) {
    throw new ZipnetError("ZIPNET_DECODE_VERSION", "ChainStateFile: unknown version.", { what: "ChainStateFile", expected: CHAIN_STATE_VERSION, got: v });
  }
  const serverId = toHex(r.raw(ID_BYTES, "serverId"));
  const epoch = r.u64("epoch");
  const n = r.u32("chains.count");
  r.limit("chains.count", n, MAX_PARTICIPANTS);
  const chains: RatchetState[] = [];
  for (let i = 0; i < n; i++) {
    const clientId = toHex(r.raw(ID_BYTES, `chains[${i}].clientId`));
    const prev = chains[i - 1];
    if (prev && !(prev.clientId < clientId)) throw fieldError("ChainStateFile", `chains[${i}].clientId`, `> ${prev.clientId}`, clientId);
    chains.push({ clientId, nextRound: r.u64(`chains[${i}].nextRound`), chain: r.raw(CHAIN_BYTES, `chains[${i}].chain`) });
  }
  r.end();
  return { serverId, epoch, chains };
}
