// Raft message codec (encodeMessage/decodeMessage) per message, for the
// shapes the committee hot path carries: an append with 1 and with 64
// 256-byte entries, and its appendResp (the most frequent message: one per
// follower per append). Node ids are real-length libp2p PeerIds.
// Anchors, measured in the same run on the same data:
//   encode: Buffer.concat of the entry payloads, i.e. the memcpy the encoder
//           cannot avoid (ratio < 1: slower than that floor);
//   decode: slicing every entry payload out of the encoding (one copy each,
//           what the copying decoder cannot avoid; shareInput returns views).
//
// Also crc32c (the WAL's and snapshots' checksum, JavaScript on Node 20)
// against node:crypto's native sha256 over the same bytes.
//
// Run: pnpm bench raft-codec   (about 20 s)
import { createHash, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { crc32c, decodeMessage, encodeMessage, type Entry, type Message } from "@builder/raft";
import { report } from "./report.js";

const FROM = "12D3KooWGzh1N7Lq1ZkTn6YgYcHv7wJrUbkQXRdBq3xNn5v9Uf3a";
const TO = "12D3KooWPX5r8b3m2dN1tqJ6h9yCkR7zVwL4sEoBuAa1Ge2HfT8x";
const RUN_MS = Number(process.env["BENCH_DURATION_MS"] ?? 1500);

function append(n: number): Message {
  const entries: Entry[] = Array.from({ length: n }, (_, i) => ({
    term: 7,
    index: 123_456 + i,
    kind: "normal",
    data: new Uint8Array(2 + 16 + 256).fill(i & 0xff),
  }));
  return { type: "append", from: FROM, to: TO, term: 7, logTerm: 7, index: 123_455, entries, commit: 123_400, reject: false, rejectHint: 0, snapshot: null, context: new Uint8Array() };
}
const appendResp: Message = { ...append(0), type: "appendResp", from: TO, to: FROM, index: 123_519 };

/** µs per call: warm up, then run batches until RUN_MS has passed. */
function usPerOp(fn: () => unknown): number {
  let sink: unknown;
  const warm = performance.now() + 300;
  while (performance.now() < warm) for (let i = 0; i < 100; i++) sink = fn();
  let ops = 0;
  const t0 = performance.now();
  const end = t0 + RUN_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) sink = fn();
    ops += 100;
  }
  if (sink === undefined) throw new Error("unreachable: keeps the result alive");
  return ((performance.now() - t0) * 1000) / ops;
}

for (const [name, m] of [["append, 1 entry", append(1)], ["append, 64 entries", append(64)], ["appendResp", appendResp]] as const) {
  const bytes = encodeMessage(m);
  const payloads = m.entries.map((e) => e.data);
  const enc = usPerOp(() => encodeMessage(m));
  const dec = usPerOp(() => decodeMessage(bytes));
  const decShared = usPerOp(() => decodeMessage(bytes, { shareInput: true }));
  const concat = usPerOp(() => Buffer.concat(payloads));
  // Offsets of each payload in the encoding, to slice them as a copying decoder would.
  const offsets = m.entries.map((e) => Buffer.from(bytes).indexOf(Buffer.from(e.data)));
  const slices = usPerOp(() => offsets.map((o, i) => bytes.slice(o, o + payloads[i]!.length)));
  const detail = `${bytes.length} bytes`;
  report({ name: `encodeMessage ${name}`, value: enc, unit: "µs", anchor: { name: "Buffer.concat(payloads)", value: concat }, lowerIsBetter: true, detail });
  report({ name: `decodeMessage ${name}`, value: dec, unit: "µs", anchor: { name: "slice each payload", value: slices }, lowerIsBetter: true, detail });
  report({ name: `decodeMessage ${name}, shareInput`, value: decShared, unit: "µs", anchor: { name: "slice each payload", value: slices }, lowerIsBetter: true, detail });
}

for (const [name, size] of [["a 300-byte WAL record", 300], ["1 MiB (a snapshot slice is 256 KiB)", 1 << 20]] as const) {
  const bytes = new Uint8Array(randomBytes(size));
  const crc = usPerOp(() => crc32c(bytes));
  const sha = usPerOp(() => createHash("sha256").update(bytes).digest());
  const mibs = (us: number): number => size / (1 << 20) / (us / 1e6);
  report({ name: `crc32c ${name}`, value: mibs(crc), unit: "MiB/s", anchor: { name: "sha256 (node:crypto, native)", value: mibs(sha) } });
}
