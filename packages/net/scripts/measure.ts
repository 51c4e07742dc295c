// Measures what the README quotes: admission handshake latency on an open
// connection, TDX quote verification time, and discovery convergence for N
// nodes from one bootstrap address. Run from packages/net:
//   node --conditions=source --import tsx --import @builder/polyfill scripts/measure.ts
import "@builder/polyfill";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Admission, Discovery, createLatticeHost, parseCollateral, verifyQuote, type LatticeHost } from "../src/index.js";

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;

async function admission(n: number): Promise<void> {
  const [h1, h2] = await Promise.all([createLatticeHost({ secret: randomBytes(32) }), createLatticeHost({ secret: randomBytes(32) })]);
  const groupId = randomBytes(32);
  const committeeSecret = randomBytes(32);
  const a1 = new Admission({ host: h1, groupId, committeeSecret });
  const a2 = new Admission({ host: h2, groupId, committeeSecret });
  await Promise.all([a1.start(), a2.start()]);
  await h1.libp2p.dial(h2.libp2p.getMultiaddrs()[0]!);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await a1.admit(h2.libp2p.peerId);
    times.push(performance.now() - t0);
  }
  console.log(`admission handshake (open connection, n=${n}): p50 ${pct(times, 0.5).toFixed(2)} ms, p99 ${pct(times, 0.99).toFixed(2)} ms`);
  await Promise.all([h1.stop(), h2.stop()]);
}

function tdx(n: number): void {
  const dir = fileURLToPath(new URL("../../../../shared/fixtures/tdx/", import.meta.url));
  const quote = readFileSync(dir + "tdx_quote");
  const collateral = parseCollateral(readFileSync(dir + "tdx_quote_collateral.json", "utf8"));
  const now = Math.floor(Date.parse(JSON.parse(collateral.tcb_info).issueDate) / 1000) + 3600;
  for (let i = 0; i < 5; i++) verifyQuote(quote, collateral, now);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) verifyQuote(quote, collateral, now);
  console.log(`TDX verifyQuote (warm, n=${n}): ${((performance.now() - t0) / n).toFixed(2)} ms/quote`);
}

async function discovery(nodes: number, intervalMs: number): Promise<void> {
  const first = await createLatticeHost({ secret: randomBytes(32) });
  const boot = first.libp2p.getMultiaddrs()[0]!.toString();
  const hosts: LatticeHost[] = [first];
  for (let i = 1; i < nodes; i++) hosts.push(await createLatticeHost({ secret: randomBytes(32), bootstrap: [boot] }));
  const discos = hosts.map((host) => new Discovery({ host, exchangeIntervalMs: intervalMs, ttlMs: 60_000 }));
  const t0 = performance.now();
  await Promise.all(discos.map((d) => d.start()));
  await Promise.all(
    discos.map(
      (d) =>
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (d.peers().length === nodes - 1) {
              d.off("change", check);
              resolve();
            }
          };
          d.on("change", check);
          check();
        }),
    ),
  );
  console.log(`discovery: ${nodes} nodes, one bootstrap, ${intervalMs} ms rounds: all know all after ${(performance.now() - t0).toFixed(0)} ms`);
  await Promise.all(discos.map((d) => d.stop()));
  await Promise.all(hosts.map((h) => h.stop()));
}

await admission(200);
tdx(50);
await discovery(5, 150);
await discovery(15, 150);
