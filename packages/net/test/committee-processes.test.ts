// The committee's "must show", with every member a separate process on
// 127.0.0.1 (test/fixtures/committee-member.ts): election, commit, SIGKILL of
// the leader, forwarding from followers, catch-up after restart, refusal of
// members with the wrong committee secret or a different GroupId, and public
// collection readers (late join + follow, expired ticket), and refusal of a
// second process on a running member's data dir.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { multiaddr } from "@multiformats/multiaddr";
import { createLatticeHost, type LatticeHost } from "../src/host.js";
import { issueTicket } from "../src/tickets.js";
import { CollectionError, subscribe, type CollectionEntry } from "../src/collections/index.js";
import { freePort, MemberProcess, peerIdOfSecret } from "./fixtures/member-harness.js";
import type { MemberConfig } from "./fixtures/member-protocol.js";

const N = 5;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const dir = mkdtempSync(join(tmpdir(), "committee-test-"));
const operator = generateKeyPairSync("ed25519");
const latticeId = randomBytes(32);
const collectionId = randomBytes(32);
const groupId = randomBytes(32);
const committeeSecret = randomBytes(32);
const members: MemberProcess[] = [];
const extras: MemberProcess[] = [];
const hosts: LatticeHost[] = [];
let memberIds: string[] = [];
let bootstrap: string[] = [];

async function memberConfig(name: string, overrides: Partial<MemberConfig> & { secret?: Uint8Array } = {}): Promise<MemberConfig> {
  const secret = overrides.secret ?? randomBytes(32);
  const port = await freePort();
  return {
    secretHex: hex(secret),
    committeeSecretHex: hex(committeeSecret),
    groupIdHex: hex(groupId),
    latticeIdHex: hex(latticeId),
    collectionIdHex: hex(collectionId),
    operatorPublicKeyPem: operator.publicKey.export({ type: "spki", format: "pem" }).toString(),
    members: memberIds,
    bootstrap,
    listen: `/ip4/127.0.0.1/tcp/${port}`,
    dataDir: join(dir, name),
    ...Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== "secret")),
  };
}

const texts = (m: MemberProcess) => m.applied.map((a) => a.text);
const leaderOf = (id: string) => members.find((m) => m.peerId === id)!;

before(async () => {
  const secrets = Array.from({ length: N }, () => randomBytes(32));
  memberIds = await Promise.all(secrets.map((s) => peerIdOfSecret(s)));
  const ports = await Promise.all(secrets.map(() => freePort()));
  bootstrap = ports.map((p, i) => `/ip4/127.0.0.1/tcp/${p}/p2p/${memberIds[i]}`);
  for (let i = 0; i < N; i++) {
    const cfg = await memberConfig(`m${i}`, { secret: secrets[i]!, listen: `/ip4/127.0.0.1/tcp/${ports[i]}` });
    members.push(new MemberProcess(`m${i}`, cfg));
  }
  await Promise.all(members.map((m) => m.start()));
});

after(async () => {
  await Promise.all([...members, ...extras].map((m) => m.kill()));
  await Promise.all(hosts.map((h) => h.stop().catch(() => {})));
  rmSync(dir, { recursive: true, force: true });
});

describe("a 5-member committee, one process per member", { concurrency: false }, () => {
  let leader = "";

  test("elects a leader every member agrees on and commits proposals made at the leader and at followers", async () => {
    await Promise.all(members.map((m) => m.request({ op: "awaitLeader" })));
    // Agreement: ask again until all five report the same leader (a CPU-starved member may be a term behind for a moment).
    for (let round = 0; ; round++) {
      const statuses = await Promise.all(members.map((m) => m.request<{ leader: string | null }>({ op: "status" })));
      const views = new Set(statuses.map((s) => s.leader));
      if (views.size === 1 && !views.has(null)) {
        leader = statuses[0]!.leader!;
        break;
      }
      assert.ok(round < 200, `members never agreed on a leader: ${[...views].join(", ")}`);
      await members[0]!.request({ op: "awaitLeader" });
    }
    const results: { index: number; result: number; forwarded: boolean }[] = [];
    for (let i = 0; i < 20; i++) results.push(await members[i % N]!.request({ op: "propose", text: `a${i}` }));
    // The state machine's result (its list length) travels back to whichever member proposed, forwarded or not.
    assert.deepEqual(results.map((r) => r.result), [...Array(20).keys()].map((i) => i + 1));
    assert.ok(results.some((r) => r.forwarded) && results.some((r) => !r.forwarded), "proposals were made both at the leader and forwarded from followers");
    assert.ok(results.every((r, i) => i === 0 || r.index > results[i - 1]!.index));
    await Promise.all(members.map((m) => m.until("20 entries applied", () => m.applied.length === 20)));
    for (const m of members) assert.deepEqual(texts(m), [...Array(20).keys()].map((i) => `a${i}`));
  });

  test("survives SIGKILL of the leader: a new leader, nothing committed lost, follower proposals still commit", async () => {
    // The leader right now (it may have moved since the first test on a loaded machine).
    leader = (await members[0]!.request<{ leader: string }>({ op: "awaitLeader" })).leader;
    const old = leaderOf(leader);
    await old.kill("SIGKILL");
    const survivors = members.filter((m) => m !== old);
    const views = await Promise.all(survivors.map((m) => m.request<{ leader: string }>({ op: "awaitLeader", exclude: leader })));
    const next = views[0]!.leader;
    assert.notEqual(next, leader);
    // Proposals from every survivor, with request ids so retries across the change apply once.
    await Promise.all(
      survivors.map((m, j) =>
        (async () => {
          for (let i = 0; i < 5; i++) {
            await m.request({ op: "propose", text: `b${j}-${i}`, requestId: { clientId: m.name, seq: i } });
          }
        })(),
      ),
    );
    await Promise.all(survivors.map((m) => m.until("40 entries applied", () => m.applied.length === 40)));
    const reference = texts(survivors[0]!);
    assert.deepEqual(reference.slice(0, 20), [...Array(20).keys()].map((i) => `a${i}`), "every entry committed before the crash survives, in order");
    assert.equal(new Set(reference.slice(20)).size, 20, "each of the 20 new proposals applied exactly once");
    for (const m of survivors) assert.deepEqual(texts(m), reference);
    leader = next;
  });

  test("a restarted member replays its WAL and catches up with what it missed", async () => {
    const restarted = members.find((m) => !m.running)!;
    await restarted.start();
    const live = members.find((m) => m.running && m !== restarted)!;
    await live.request({ op: "propose", text: "c0" });
    await restarted.until("caught up to 41 entries", () => restarted.applied.length === 41);
    assert.deepEqual(texts(restarted), texts(live).slice(0, 41));
    // SIGKILL left the data dir's LOCK behind; the restart replaced it and said so.
    assert.ok(
      restarted.logs.some((l) => l.level === "warn" && l.msg.includes("LOCK of a process that no longer runs")),
      `no stale-lock warning in ${JSON.stringify(restarted.logs.map((l) => l.msg))}`,
    );
  });

  test("members with the wrong committee secret or a different GroupId are refused and never see a committed entry", async () => {
    const intruderSecret = randomBytes(32);
    const otherGroupSecret = randomBytes(32);
    const intruderId = await peerIdOfSecret(intruderSecret);
    const otherId = await peerIdOfSecret(otherGroupSecret);
    // Both think they belong to a 6-member committee with the real five, so alone they cannot commit anything.
    const wrongSecret = new MemberProcess(
      "wrong-secret",
      await memberConfig("wrong-secret", { secret: intruderSecret, committeeSecretHex: hex(randomBytes(32)), members: [...memberIds, intruderId] }),
    );
    const otherGroup = new MemberProcess(
      "other-group",
      await memberConfig("other-group", { secret: otherGroupSecret, groupIdHex: hex(randomBytes(32)), members: [...memberIds, otherId] }),
    );
    extras.push(wrongSecret, otherGroup);
    await Promise.all([wrongSecret.start(), otherGroup.start()]);
    const refusedWith = (m: MemberProcess, reason: string) => () =>
      m.logs.some((l) => l.msg === "admission: peer refused" && l.obj["reason"] === reason && memberIds.includes(String(l.obj["peer"])));
    await wrongSecret.until("a bad_mac refusal in its log", refusedWith(wrongSecret, "bad_mac"));
    await otherGroup.until("a group_mismatch refusal in its log", refusedWith(otherGroup, "group_mismatch"));
    const live = members.find((m) => m.running)!;
    await live.request({ op: "propose", text: "d0" });
    await Promise.all(members.map((m) => m.until("42 entries applied", () => m.applied.length === 42)));
    const [mWrong, mOther] = await Promise.all([wrongSecret.request<Record<string, number>>({ op: "metrics" }), otherGroup.request<Record<string, number>>({ op: "metrics" })]);
    assert.ok((mWrong["testorg_committee_refusals_total{reason=bad_mac}"] ?? 0) >= 1, JSON.stringify(mWrong));
    assert.ok((mOther["testorg_committee_refusals_total{reason=group_mismatch}"] ?? 0) >= 1, JSON.stringify(mOther));
    for (const intruder of [wrongSecret, otherGroup]) {
      assert.deepEqual(intruder.applied, [], `${intruder.name} applied nothing`);
      const s = await intruder.request<{ commit: number; admitted: string[] }>({ op: "status" });
      // Index 1 is the founding snapshot every member writes at bootstrap; nothing was committed after it.
      assert.equal(s.commit, 1, `${intruder.name} learned no commit index beyond its own bootstrap`);
      assert.deepEqual(s.admitted.filter((p) => memberIds.includes(p)), []);
    }
    for (const m of members) {
      const s = await m.request<{ admitted: string[] }>({ op: "status" });
      assert.ok(!s.admitted.includes(intruderId) && !s.admitted.includes(otherId), `${m.name} admitted an intruder`);
    }
    await Promise.all([wrongSecret.kill(), otherGroup.kill()]);
  });

  test("a reader joining late gets every collection entry from its slot (quorum 2 of 3), then follows live ones", async () => {
    const live = members.filter((m) => m.running);
    for (let slot = 1; slot <= 6; slot++) {
      for (let j = 0; j < 2; j++) await live[(slot + j) % live.length]!.request({ op: "propose", text: `s${slot}:p${slot}.${j}` });
    }
    const reader = await createLatticeHost({ secret: randomBytes(32) });
    hosts.push(reader);
    const providers = live.slice(0, 3).map((m) => multiaddr(bootstrap[memberIds.indexOf(m.peerId)]!));
    const ticket = await issueTicket({ key: operator.privateKey, latticeId, scope: "read", ttlSeconds: 600 });
    const got: CollectionEntry[] = [];
    const it = subscribe(reader.libp2p, collectionId, { fromSlot: 3, providers, quorum: 2, ticket });
    for await (const e of it) {
      got.push(e);
      if (got.length === 8) {
        // Caught up on slots 3..6; the next entries are committed after the reader joined.
        await live[0]!.request({ op: "propose", text: "s7:live-a" });
        await live[1]!.request({ op: "propose", text: "s7:live-b" });
      }
      if (got.length === 10) break;
    }
    const dec = (e: CollectionEntry) => new TextDecoder().decode(e.data);
    assert.deepEqual(got.map(dec), ["p3.0", "p3.1", "p4.0", "p4.1", "p5.0", "p5.1", "p6.0", "p6.1", "live-a", "live-b"]);
    assert.deepEqual(got.map((e) => e.slot), [3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
    const seqs = got.map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), "consecutive seqs, no gap");
  });

  test("an expired read ticket disconnects the reader and cannot reopen the stream", async () => {
    const m = members.find((x) => x.running)!;
    const reader = await createLatticeHost({ secret: randomBytes(32) });
    hosts.push(reader);
    const target = multiaddr(bootstrap[memberIds.indexOf(m.peerId)]!);
    // Connect first and only then issue the short ticket, so a loaded machine
    // cannot spend its whole lifetime on the dial (the session must start before expiry).
    await reader.libp2p.dial(target);
    const ticket = await issueTicket({ key: operator.privateKey, latticeId, scope: "read", expiresAt: Math.floor(Date.now() / 1000) + 3 });
    const got: string[] = [];
    const errors: unknown[] = [];
    await assert.rejects(
      async () => {
        for await (const e of subscribe(reader.libp2p, collectionId, {
          fromSlot: 7,
          providers: [target],
          ticket,
          backoff: { initialMs: 10 },
          onError: (_p, err) => errors.push(err),
        })) {
          got.push(new TextDecoder().decode(e.data));
        }
      },
      (err: unknown) => err instanceof CollectionError && err.code === "COLLECTION_TICKET_REFUSED" && err.fields.serverCode === "TICKET_EXPIRED",
    );
    assert.deepEqual(got, ["live-a", "live-b"], "entries were served until the ticket expired");
    assert.ok(errors.length >= 2, "a disconnect, then the refused reconnect");
    assert.ok(!(errors[0] instanceof CollectionError), `the first error is the server-side disconnect, got ${String(errors[0])}`);
  });

  test("a second process on a running member's data dir is refused (RAFT_WAL_LOCKED) and the member keeps working", async () => {
    // The operator starts the same member twice: same secret (same peer id), same data dir.
    const owner = members.find((m) => m.running)!;
    const twin = new MemberProcess("twin", await memberConfig("twin", { secretHex: owner.config.secretHex, dataDir: owner.config.dataDir }));
    extras.push(twin);
    await assert.rejects(twin.start(), (e: Error) => e.message.includes("RAFT_WAL_LOCKED") || e.message.includes(`Data directory ${owner.config.dataDir} is in use`));
    await twin.exited;
    const before = owner.applied.length;
    const live = members.find((m) => m.running && m !== owner)!;
    await live.request({ op: "propose", text: "after-twin" });
    await owner.until("applied the entry proposed after the twin", () => owner.applied.length === before + 1);
    assert.equal(owner.applied.at(-1)!.text, "after-twin");
  });
});
