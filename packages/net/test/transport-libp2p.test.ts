// Real libp2p hosts on 127.0.0.1 with the real committee admission in front
// of the Raft transport.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Message } from "@builder/raft";
import { encodeMessage } from "@builder/raft";
import { lpStream } from "@libp2p/utils";
import { createLatticeHost, type LatticeHost } from "../src/host.js";
import { Admission } from "../src/admission.js";
import { MemoryMetrics } from "../src/metrics.js";
import { encodeBatch, Libp2pRaftTransport, RAFT_TRANSPORT_METRICS as M } from "../src/raft-transport/index.js";

const groupId = randomBytes(32);
const committeeSecret = randomBytes(32);

interface Node {
  host: LatticeHost;
  admission: Admission;
  transport: Libp2pRaftTransport;
  metrics: MemoryMetrics;
  inbox: Message[];
  unreachable: string[];
  id: string;
  stop(): Promise<void>;
}

const started: Node[] = [];
after(async () => {
  await Promise.all(started.map((n) => n.stop().catch(() => {})));
});

async function startNode(opts: { secret?: Uint8Array; group?: Uint8Array; privateKey?: LatticeHost["privateKey"]; listen?: string[] } = {}): Promise<Node> {
  const host = await createLatticeHost(opts.privateKey ? { privateKey: opts.privateKey, listen: opts.listen } : { secret: randomBytes(32), listen: opts.listen });
  const admission = new Admission({ host, groupId: opts.group ?? groupId, committeeSecret: opts.secret ?? committeeSecret });
  await admission.start();
  const metrics = new MemoryMetrics();
  const transport = new Libp2pRaftTransport({
    libp2p: host.libp2p,
    groupId: opts.group ?? groupId,
    admission,
    metrics,
    backoff: { initialMs: 20, maxMs: 200 },
    admissionWaitMs: 1000,
  });
  const inbox: Message[] = [];
  const unreachable: string[] = [];
  transport.onMessage((m) => inbox.push(m));
  transport.onUnreachable((p) => unreachable.push(p));
  await transport.start();
  const node: Node = {
    host,
    admission,
    transport,
    metrics,
    inbox,
    unreachable,
    id: host.libp2p.peerId.toString(),
    async stop() {
      await transport.stop();
      await admission.stop();
      await host.stop();
    },
  };
  started.push(node);
  return node;
}

function know(a: Node, b: Node): Promise<void> {
  return a.host.libp2p.peerStore.merge(b.host.libp2p.peerId, { multiaddrs: b.host.libp2p.getMultiaddrs() }).then(() => {});
}

function msg(from: string, to: string, i: number, type: Message["type"] = "append"): Message {
  return {
    type,
    from,
    to,
    term: 1,
    logTerm: 1,
    index: i,
    entries: type === "append" ? [{ term: 1, index: i + 1, kind: "normal", data: Uint8Array.of(i & 0xff) }] : [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    snapshot: null,
    context: new Uint8Array(),
  };
}

/** Polls a condition on each event-loop turn (no fixed sleeps), failing after a deadline. */
async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe("Libp2pRaftTransport", () => {
  test("admits the peer, then delivers every message in order, batched into few frames", async () => {
    const a = await startNode();
    const b = await startNode();
    await know(a, b);
    const n = 500;
    for (let i = 0; i < n; i++) a.transport.send([msg(a.id, b.id, i)]);
    await until("all messages at b", () => b.inbox.length === n);
    assert.deepEqual(b.inbox.map((m) => m.index), [...Array(n).keys()]);
    assert.equal(b.inbox[7]!.from, a.id);
    assert.deepEqual([...b.inbox[7]!.entries[0]!.data], [7]);
    assert.ok(a.admission.isAdmitted(b.id) && b.admission.isAdmitted(a.id));
    const frames = a.metrics.get(M.frames as never, { direction: "out" });
    assert.ok(frames >= 1 && frames < n / 10, `expected batching, got ${frames} frames for ${n} messages`);
    assert.equal(a.metrics.get(M.messages as never, { direction: "out" }), n);
    // The reply travels on b's own outbound stream.
    b.transport.send([msg(b.id, a.id, 1, "appendResp")]);
    await until("reply at a", () => a.inbox.length === 1);
    assert.equal(a.inbox[0]!.type, "appendResp");
  });

  test("messages far larger than the Yamux window arrive intact and in order (the writer waits for drain)", async () => {
    const a = await startNode();
    const b = await startNode();
    await know(a, b);
    // 256 KiB is Yamux's initial window: each of these frames needs many window updates.
    const sizes = [3, 1, 4, 1, 5].map((m) => m * 1024 * 1024 + 7);
    const payloads = sizes.map((n) => randomBytes(n));
    for (const [i, data] of payloads.entries()) a.transport.send([{ ...msg(a.id, b.id, i), entries: [{ term: 1, index: i + 1, kind: "normal", data }] }]);
    await until("all large messages at b", () => b.inbox.length === payloads.length, 30_000);
    assert.deepEqual(b.inbox.map((m) => m.index), [0, 1, 2, 3, 4]);
    for (const [i, m] of b.inbox.entries()) assert.ok(Buffer.from(m.entries[0]!.data).equals(payloads[i]!), `message ${i} arrived altered`);
    // The link is still usable afterwards.
    a.transport.send([msg(a.id, b.id, 99)]);
    await until("a small message after the large ones", () => b.inbox.length === payloads.length + 1);
  });

  test("a peer holding another committee secret gets no Raft traffic either way", async () => {
    const a = await startNode();
    const intruder = await startNode({ secret: randomBytes(32) });
    await know(a, intruder);
    await know(intruder, a);
    // The dialer checks the responder's MAC first, so the refusal (and its reason) is on its side.
    const refused = once(intruder.admission, "refused");
    intruder.transport.send([msg(intruder.id, a.id, 1, "vote")]);
    const [ev] = (await refused) as [{ reason: string; peerId: string }];
    assert.equal(ev.reason, "bad_mac");
    assert.equal(ev.peerId, a.id);
    await until("intruder reports a unreachable", () => intruder.unreachable.includes(a.id));
    assert.equal(intruder.metrics.get(M.dropped as never, { reason: "peer_refused" }), 1);
    // Bypass the transport's own dial path: open the Raft protocol directly.
    const stream = await intruder.host.libp2p.dialProtocol(a.host.libp2p.peerId, a.transport.protocol);
    const lp = lpStream(stream);
    await lp.write(encodeBatch([encodeMessage(msg(intruder.id, a.id, 2, "vote"))])).catch(() => {});
    await until("a counts the refused stream", () => a.metrics.get(M.dropped as never, { reason: "not_admitted" }) >= 1, 12_000);
    assert.equal(a.inbox.length, 0);
    // And a never sends to it: its outbound attempt is refused too.
    a.transport.send([msg(a.id, intruder.id, 3, "heartbeat")]);
    await until("a reports intruder unreachable", () => a.unreachable.includes(intruder.id));
    assert.equal(intruder.inbox.length, 0);
  });

  test("does not send a message over the size limit, and counts it", async () => {
    const a = await startNode();
    const b = await startNode();
    await know(a, b);
    const big = { ...msg(a.id, b.id, 1), entries: [{ term: 1, index: 2, kind: "normal" as const, data: new Uint8Array(17 * 1024 * 1024) }] };
    a.transport.send([big, msg(a.id, b.id, 2)]);
    await until("the small message", () => b.inbox.length === 1);
    assert.equal(b.inbox[0]!.index, 2);
    assert.equal(a.metrics.get(M.dropped as never, { reason: "too_large" }), 1);
  });

  test("drops messages whose sender field is not the authenticated peer", async () => {
    const a = await startNode();
    const b = await startNode();
    await know(a, b);
    a.transport.send([msg("someone-else", b.id, 1), msg(a.id, b.id, 2), msg(a.id, "not-b", 3)]);
    await until("the genuine message", () => b.inbox.length === 1);
    assert.equal(b.inbox[0]!.index, 2);
    await until("spoof counted", () => b.metrics.get(M.dropped as never, { reason: "spoofed" }) === 1);
  });

  test("reports an absent peer unreachable and reconnects with backoff once it is back", async () => {
    const a = await startNode();
    const b = await startNode();
    await know(a, b);
    a.transport.send([msg(a.id, b.id, 1)]);
    await until("first delivery", () => b.inbox.length === 1);
    const addrs = b.host.libp2p.getMultiaddrs().map(String);
    const key = b.host.privateKey;
    await b.stop();
    // Keep the leader-like sender talking until it notices.
    await until(
      "a reports b unreachable",
      () => {
        a.transport.send([msg(a.id, b.id, 2, "heartbeat")]);
        return a.unreachable.includes(b.id);
      },
      15_000,
    );
    const b2 = await startNode({ privateKey: key, listen: addrs });
    assert.equal(b2.id, b.id);
    await until(
      "delivery to the restarted peer",
      () => {
        a.transport.send([msg(a.id, b.id, 3)]);
        return b2.inbox.some((m) => m.index === 3);
      },
      15_000,
    );
  });
});
