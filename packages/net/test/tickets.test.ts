import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { issueTicket, verifyTicket, type TicketAlg } from "../src/tickets.js";
import { guardProtocol, openTicketedStream } from "../src/ticket-guard.js";
import { NetError, type NetErrorCode } from "../src/errors.js";
import { startHost } from "./helpers.js";

const isCode = (code: NetErrorCode) => (e: unknown) => e instanceof NetError && e.code === code;
const lattice = randomBytes(32);
const T0 = 1_800_000_000;

const keys = {
  EdDSA: generateKeyPairSync("ed25519"),
  ES256: generateKeyPairSync("ec", { namedCurve: "P-256" }),
};

describe("tickets (jose)", () => {
  for (const alg of ["EdDSA", "ES256"] as TicketAlg[]) {
    const { privateKey, publicKey } = keys[alg];
    const verifyAt = (token: string, over: Partial<Parameters<typeof verifyTicket>[1]> = {}) =>
      verifyTicket(token, { key: publicKey, alg, latticeId: lattice, scope: "read", nowSecs: T0 + 10, ...over });

    test(`${alg}: a read ticket verifies and carries its claims`, async () => {
      const t = await issueTicket({ key: privateKey, alg, latticeId: lattice, scope: "read", ttlSeconds: 60, nowSecs: T0 });
      const c = await verifyAt(t);
      assert.deepEqual(c, { latticeId: Buffer.from(lattice).toString("hex"), scope: "read", exp: T0 + 60, iat: T0 });
    });

    test(`${alg}: a searcher ticket carries sub and needs scope "search"`, async () => {
      const sub = "0x00000000000000000000000000000000000000aa";
      const t = await issueTicket({ key: privateKey, alg, latticeId: lattice, scope: "search", subject: sub, ttlSeconds: 60, nowSecs: T0 });
      assert.equal((await verifyAt(t, { scope: "search" })).sub, sub);
      await assert.rejects(verifyAt(t, { scope: "read" }), isCode("TICKET_WRONG_SCOPE"));
    });

    test(`${alg}: expired, wrong lattice, bad signature and garbage are typed errors`, async () => {
      const t = await issueTicket({ key: privateKey, alg, latticeId: lattice, scope: "read", ttlSeconds: 60, nowSecs: T0 });
      await assert.rejects(verifyAt(t, { nowSecs: T0 + 61 }), isCode("TICKET_EXPIRED"));
      await assert.rejects(verifyAt(t, { latticeId: randomBytes(32) }), isCode("TICKET_WRONG_LATTICE"));
      const other = alg === "EdDSA" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
      await assert.rejects(verifyAt(t, { key: other.publicKey }), isCode("TICKET_BAD_SIGNATURE"));
      const [h, p, s] = t.split(".");
      const flipped = `${h}.${p}.${s!.startsWith("A") ? "B" : "A"}${s!.slice(1)}`;
      await assert.rejects(verifyAt(flipped), isCode("TICKET_BAD_SIGNATURE"));
      await assert.rejects(verifyAt("not.a.jwt"), isCode("TICKET_MALFORMED"));
      await assert.rejects(verifyAt("x".repeat(5000)), isCode("TICKET_MALFORMED"));
    });
  }

  test("an ES256 ticket is refused by an EdDSA verifier (algorithm pinned)", async () => {
    const t = await issueTicket({ key: keys.ES256.privateKey, alg: "ES256", latticeId: lattice, scope: "read", ttlSeconds: 60, nowSecs: T0 });
    await assert.rejects(
      verifyTicket(t, { key: keys.EdDSA.publicKey, latticeId: lattice, scope: "read", nowSecs: T0 }),
      isCode("TICKET_MALFORMED"),
    );
  });

  test("tickets without expiry, and searcher tickets without subject, are not issued", async () => {
    await assert.rejects(issueTicket({ key: keys.EdDSA.privateKey, latticeId: lattice, scope: "read" }), isCode("NET_CONFIG"));
    await assert.rejects(
      issueTicket({ key: keys.EdDSA.privateKey, latticeId: lattice, scope: "search", ttlSeconds: 5 }),
      isCode("NET_CONFIG"),
    );
  });
});

describe("ticket guard over libp2p", () => {
  const PROTOCOL = "/lattice/test-read/1.0.0";
  const { privateKey, publicKey } = keys.EdDSA;

  async function pair(t: { after(fn: () => Promise<unknown>): void }) {
    const [server, client] = await Promise.all([startHost(), startHost()]);
    t.after(() => Promise.all([server.stop(), client.stop()]));
    const guard = await guardProtocol({
      host: server,
      protocol: PROTOCOL,
      verify: (tok) => verifyTicket(tok, { key: publicKey, latticeId: lattice, scope: "read" }),
      // Echo every frame back until the client closes.
      onSession: async ({ framed }) => {
        for (;;) await framed.write(await framed.read());
      },
    });
    return { server, client, guard };
  }

  test("a valid ticket opens a session; expiry mid-session disconnects the peer", async (t) => {
    const { server, client, guard } = await pair(t);
    // Connect first so a slow (loaded) dial does not eat the ticket's short lifetime.
    await client.libp2p.dial(server.libp2p.getMultiaddrs()[0]!);
    const token = await issueTicket({ key: privateKey, latticeId: lattice, scope: "read", ttlSeconds: 3 });
    const exp = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).exp as number;
    const f = await openTicketedStream(client.libp2p, server.libp2p.peerId, PROTOCOL, token);
    await f.write(new TextEncoder().encode("ping"));
    assert.equal(new TextDecoder().decode(await f.read()), "ping");
    assert.equal(guard.sessions(), 1);
    const disconnected = new Promise<number>((resolve) =>
      client.libp2p.addEventListener("peer:disconnect", () => resolve(Date.now()), { once: true }),
    );
    const at = await disconnected;
    assert.ok(at >= exp * 1000 - 50, `disconnected at ${at}, ticket exp ${exp * 1000}`);
    assert.equal(client.libp2p.getConnections(server.libp2p.peerId).length, 0);
    assert.ok(server.logs.records.some((r) => r.msg.startsWith("ticket expired mid-session")));
  });

  test("a bad ticket is refused at open with the server's reason", async (t) => {
    const { server, client, guard } = await pair(t);
    const forged = await issueTicket({ key: generateKeyPairSync("ed25519").privateKey, latticeId: lattice, scope: "read", ttlSeconds: 60 });
    await assert.rejects(
      openTicketedStream(client.libp2p, server.libp2p.getMultiaddrs()[0]!, PROTOCOL, forged),
      (e: unknown) => e instanceof NetError && e.code === "TICKET_REFUSED" && e.fields["serverCode"] === "TICKET_BAD_SIGNATURE",
    );
    const expired = await issueTicket({ key: privateKey, latticeId: lattice, scope: "read", expiresAt: Math.floor(Date.now() / 1000) - 5 });
    await assert.rejects(
      openTicketedStream(client.libp2p, server.libp2p.getMultiaddrs()[0]!, PROTOCOL, expired),
      (e: unknown) => e instanceof NetError && e.fields["serverCode"] === "TICKET_EXPIRED",
    );
    const searcher = await issueTicket({ key: privateKey, latticeId: lattice, scope: "search", subject: "s1", ttlSeconds: 60 });
    await assert.rejects(
      openTicketedStream(client.libp2p, server.libp2p.getMultiaddrs()[0]!, PROTOCOL, searcher),
      (e: unknown) => e instanceof NetError && e.fields["serverCode"] === "TICKET_WRONG_SCOPE",
    );
    assert.equal(guard.sessions(), 0);
    assert.equal(server.logs.records.filter((r) => r.msg === "ticket refused").length, 3);
    assert.ok(!JSON.stringify(server.logs.records).includes(forged), "tickets are not logged");
  });
});
