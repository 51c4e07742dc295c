// Collection servers and readers on real libp2p hosts (127.0.0.1), with real
// operator-signed tickets.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createLatticeHost, type LatticeHost } from "../src/host.js";
import { issueTicket, verifyTicket } from "../src/tickets.js";
import { peerIdFromString } from "@libp2p/peer-id";
import { Discovery } from "../src/discovery/service.js";
import { CollectionError, CollectionLog, serveCollection, subscribe, type CollectionEntry, type CollectionServer } from "../src/collections/index.js";

const operator = generateKeyPairSync("ed25519");
const latticeId = randomBytes(32);
const collectionId = randomBytes(32);
const hosts: LatticeHost[] = [];
const servers: CollectionServer[] = [];
const discoveries: Discovery[] = [];
after(async () => {
  await Promise.all(discoveries.map((d) => d.stop().catch(() => {})));
  await Promise.all(servers.map((s) => s.stop().catch(() => {})));
  await Promise.all(hosts.map((h) => h.stop().catch(() => {})));
});

async function host(): Promise<LatticeHost> {
  const h = await createLatticeHost({ secret: randomBytes(32) });
  hosts.push(h);
  return h;
}

async function member(log = new CollectionLog(collectionId)): Promise<{ host: LatticeHost; log: CollectionLog; server: CollectionServer }> {
  const h = await host();
  const server = await serveCollection({
    host: h,
    log,
    verifyTicket: (t) => verifyTicket(t, { key: operator.publicKey, latticeId, scope: "read" }),
  });
  servers.push(server);
  return { host: h, log, server };
}

const ticket = (ttlSeconds = 600): Promise<string> => issueTicket({ key: operator.privateKey, latticeId, scope: "read", ttlSeconds });
const addr = (h: LatticeHost) => h.libp2p.getMultiaddrs()[0]!;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (e: CollectionEntry) => new TextDecoder().decode(e.data);

describe("public collections over libp2p", () => {
  test("a late reader gets every entry from its slot, then follows live appends", async () => {
    const m = await member();
    for (let slot = 1; slot <= 50; slot++) for (let j = 0; j < 3; j++) m.log.append(slot, bytes(`s${slot}e${j}`));
    const reader = await host();
    const it = subscribe(reader.libp2p, collectionId, { fromSlot: 40, providers: [addr(m.host)], ticket: await ticket() });
    const got: CollectionEntry[] = [];
    for await (const e of it) {
      got.push(e);
      if (got.length === 33) {
        // Catch-up done (slots 40..50); now live entries.
        m.log.append(51, bytes("live1"));
        m.log.append(52, bytes("live2"));
      }
      if (got.length === 35) break;
    }
    assert.equal(got[0]!.slot, 40);
    assert.equal(text(got[0]!), "s40e0");
    assert.deepEqual(got.map((e) => e.seq), [...Array(35).keys()].map((i) => 118 + i));
    assert.deepEqual(got.slice(-2).map(text), ["live1", "live2"]);
  });

  test("a reader finds the collection's providers through discovery", async () => {
    const m = await member();
    for (let i = 1; i <= 5; i++) m.log.append(i, bytes(`d${i}`));
    const announce = new Discovery({ host: m.host, provides: [collectionId], exchangeIntervalMs: 200 });
    await announce.start();
    discoveries.push(announce);
    const reader = await createLatticeHost({ secret: randomBytes(32), bootstrap: [addr(m.host).toString()] });
    hosts.push(reader);
    const lookup = new Discovery({ host: reader, exchangeIntervalMs: 200 });
    const found = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("discovery found no provider of the collection within 30 s")), 30_000);
      lookup.on("change", () => {
        if (lookup.providers(collectionId).length === 0) return;
        clearTimeout(timer);
        resolve();
      });
    });
    await lookup.start();
    discoveries.push(lookup);
    await found;
    const got: string[] = [];
    for await (const e of subscribe(reader.libp2p, collectionId, {
      fromSlot: 3,
      providers: async () => lookup.providers(collectionId).map((id) => peerIdFromString(id)),
      ticket: await ticket(),
    })) {
      got.push(text(e));
      if (got.length === 3) break;
    }
    assert.deepEqual(got, ["d3", "d4", "d5"]);
    assert.deepEqual(lookup.providers(collectionId), [m.host.libp2p.peerId.toString()]);
  });

  test("resumes after a dropped connection without gaps or duplicates", async () => {
    const m = await member();
    for (let i = 0; i < 20; i++) m.log.append(i, bytes(`e${i}`));
    const reader = await host();
    const errors: unknown[] = [];
    const it = subscribe(reader.libp2p, collectionId, {
      fromSlot: 0,
      providers: [addr(m.host)],
      ticket: await ticket(),
      backoff: { initialMs: 10 },
      onError: (_p, err) => errors.push(err),
    });
    const got: number[] = [];
    for await (const e of it) {
      got.push(e.seq);
      if (e.seq === 10) {
        await Promise.all(reader.libp2p.getConnections().map((c) => c.close()));
        for (let i = 20; i < 30; i++) m.log.append(i, bytes(`e${i}`));
      }
      if (got.length === 30) break;
    }
    assert.deepEqual(got, [...Array(30).keys()].map((i) => i + 1));
    assert.ok(errors.length >= 1, "the dropped session was reported");
  });

  test("with quorum 2 of 3, a provider serving different bytes is outvoted", async () => {
    const honestA = await member();
    const honestB = await member();
    const liar = await member();
    for (let i = 1; i <= 40; i++) {
      honestA.log.append(i, bytes(`v${i}`));
      honestB.log.append(i, bytes(`v${i}`));
      liar.log.append(i, bytes(i % 5 === 0 ? `forged${i}` : `v${i}`));
    }
    const reader = await host();
    const got: CollectionEntry[] = [];
    for await (const e of subscribe(reader.libp2p, collectionId, {
      fromSlot: 1,
      providers: [addr(liar.host), addr(honestA.host), addr(honestB.host)],
      quorum: 2,
      ticket: await ticket(),
    })) {
      got.push(e);
      if (got.length === 40) break;
    }
    assert.deepEqual(got.map(text), [...Array(40).keys()].map((i) => `v${i + 1}`));
  });

  test("a slot evicted by retention is refused with COLLECTION_PRUNED naming the earliest start", async () => {
    const m = await member(new CollectionLog(collectionId, { maxEntries: 10 }));
    for (let i = 1; i <= 30; i++) m.log.append(i, bytes(`e${i}`));
    const reader = await host();
    await assert.rejects(
      async () => {
        for await (const _ of subscribe(reader.libp2p, collectionId, { fromSlot: 5, providers: [addr(m.host)], ticket: await ticket() })) {
          assert.fail("no entry expected");
        }
      },
      (err: unknown) => {
        assert.ok(err instanceof CollectionError);
        assert.equal(err.code, "COLLECTION_PRUNED");
        assert.match(err.message, /earliest complete start is seq 21 or slot 21/);
        return true;
      },
    );
  });

  test("an expired ticket disconnects the reader, and reconnecting with it is refused", async () => {
    const m = await member();
    m.log.append(1, bytes("first"));
    const reader = await host();
    // Connect first, then issue the short ticket: the session must start before it expires, even on a loaded machine.
    await reader.libp2p.dial(addr(m.host));
    const t = await issueTicket({ key: operator.privateKey, latticeId, scope: "read", expiresAt: Math.floor(Date.now() / 1000) + 3 });
    const got: string[] = [];
    const errors: unknown[] = [];
    await assert.rejects(
      async () => {
        for await (const e of subscribe(reader.libp2p, collectionId, {
          fromSlot: 0,
          providers: [addr(m.host)],
          ticket: t,
          backoff: { initialMs: 10 },
          onError: (_p, err) => errors.push(err),
        })) {
          got.push(text(e));
        }
      },
      (err: unknown) => {
        assert.ok(err instanceof CollectionError);
        assert.equal(err.code, "COLLECTION_TICKET_REFUSED");
        assert.equal(err.fields.serverCode, "TICKET_EXPIRED");
        return true;
      },
    );
    assert.deepEqual(got, ["first"]);
    // The first error is the disconnect by the server's expiry timer, not a refusal at open.
    assert.ok(!(errors[0] instanceof CollectionError), `first error: ${String(errors[0])}`);
    assert.equal(m.server.sessions(), 0);
  });
});
