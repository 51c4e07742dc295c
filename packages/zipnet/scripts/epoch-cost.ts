// What entering a key epoch and serving a round cost a server (docs/adr/0006):
//   node --conditions=source --import tsx --import @builder/polyfill scripts/epoch-cost.ts
// Real files in a temp dir (fsyncs included), 5 repetitions, medians.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { createHash } from "node:crypto";
import { silentLogger } from "@builder/net";
import { ServerEpochKeys, clientIdOf, roundParams, x25519FromSecret } from "../src/index.js";

const groupId = new Uint8Array(32).fill(1);
const serverId = "ab".repeat(32);
const params = roundParams("archival");
const median = (a: number[]): string => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(1);

for (const n of [64, 1024, 8000]) {
  const clients = Array.from({ length: n }, (_, i) => x25519FromSecret(new Uint8Array(createHash("sha256").update(`c${i}`).digest())))
    .map((k) => ({ id: clientIdOf(k.publicKey), publicKey: k.publicKey }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const enter: number[] = [], stall: number[] = [], serve: number[] = [], persist: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const dataDir = await mkdtemp(join(tmpdir(), "zipnet-epoch-cost-"));
    const keys = await ServerEpochKeys.open({ dataDir, groupId, serverId, logger: silentLogger });
    const publicKey = await keys.publicKeyFor(0);
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    let t = performance.now();
    await keys.enter({ epoch: 0, round: 1, firstRound: 1, clients, publicKey });
    enter.push(performance.now() - t);
    h.disable();
    stall.push(h.max / 1e6);
    t = performance.now();
    await keys.serve(1, async (r) => {
      for (const c of clients) r(c.id)!.padKey({ groupId, round: 1, slot: 1, params, clientId: c.id, serverId });
    });
    serve.push(performance.now() - t);
    t = performance.now();
    await keys.serve(2, async () => {});
    persist.push(performance.now() - t);
    keys.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`${n} clients: enter ${median(enter)} ms (max event-loop delay ${median(stall)} ms); round: pad keys + advance + persist ${median(serve)} ms, advance + persist alone ${median(persist)} ms`);
}
