// Worker side of UnblindPool: the same fused CTR pass over one shard of keys.
// Shipped as source text and started with `eval: true` because a worker does
// not inherit the parent's module hooks on Node 20: a .ts worker file would not
// load when running from source (tsx), and the built .js path would differ from
// the tested one. The body depends only on node:crypto; the property test
// "worker equals single-thread" pins it to unblindPacked.
export const UNBLIND_WORKER_SOURCE = `
"use strict";
const { parentPort } = require("node:worker_threads");
const { createCipheriv } = require("node:crypto");
parentPort.on("message", (m) => {
  try {
    const packed = m.packed;
    let acc = new Uint8Array(m.vectorBytes);
    for (let o = 0; o < packed.length; o += 32) {
      acc = createCipheriv("aes-128-ctr", packed.subarray(o, o + 16), packed.subarray(o + 16, o + 32)).update(acc);
    }
    packed.fill(0);
    const vector = new Uint8Array(acc.buffer, acc.byteOffset, acc.byteLength);
    const transfer = vector.byteOffset === 0 && vector.byteLength === acc.buffer.byteLength ? [vector.buffer] : [];
    parentPort.postMessage({ id: m.id, vector }, transfer);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message) });
  }
});
`;
