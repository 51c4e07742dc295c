import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { hkdfSync } from "node:crypto";
import fc from "fast-check";
import {
  PadRatchet,
  RATCHET_INFO,
  chainInfo,
  hkdf,
  padInfo,
  ZipnetError,
  clientIdOf,
  generateX25519,
  pad,
  roundParams,
  serverIdOf,
  sharedSecret,
  vectorBytes,
  type PadContext,
  type RoundParams,
} from "../src/index.js";
import { GROUP_ID, keyPair } from "./fixtures.js";

const params: RoundParams = { ...roundParams("interactive"), messageSlots: 2, reservationSlots: 8 };

function pair(ci: number, si: number, startRound = 1) {
  const c = keyPair(`k-client-${ci}`);
  const s = keyPair(`k-server-${si}`);
  const clientId = clientIdOf(c.publicKey);
  const serverId = serverIdOf(s.publicKey);
  const at = { groupId: GROUP_ID, clientId, serverId, startRound };
  return {
    clientId,
    serverId,
    clientSide: PadRatchet.fromSharedSecret(sharedSecret(c.privateKey, s.publicKey), at),
    serverSide: PadRatchet.fromSharedSecret(sharedSecret(s.privateKey, c.publicKey), at),
  };
}

const ctxOf = (clientId: string, serverId: string, round: number, over: Partial<PadContext> = {}): PadContext => ({
  groupId: GROUP_ID,
  round,
  slot: 7,
  params,
  clientId,
  serverId,
  ...over,
});

describe("key schedule", () => {
  test("client and server derive the same pad for every round", () => {
    const p = pair(0, 0);
    for (let r = 1; r <= 5; r++) {
      const a = p.clientSide.padKey(ctxOf(p.clientId, p.serverId, r));
      const b = p.serverSide.padKey(ctxOf(p.clientId, p.serverId, r));
      assert.deepEqual(a, b);
    }
  });

  test("no 16-byte block of any pad repeats across clients, servers and rounds", () => {
    const n = vectorBytes(params);
    const blocks = new Set<string>();
    let total = 0;
    for (let ci = 0; ci < 4; ci++) {
      for (let si = 0; si < 3; si++) {
        const p = pair(ci, si);
        for (let r = 1; r <= 8; r++) {
          const bytes = Buffer.from(pad(p.clientSide.padKey(ctxOf(p.clientId, p.serverId, r)), n));
          for (let o = 0; o < n; o += 16) {
            blocks.add(bytes.subarray(o, o + 16).toString("hex"));
            total++;
          }
        }
      }
    }
    assert.ok(total > 10_000, `sampled ${total} blocks`);
    assert.equal(blocks.size, total, "every keystream block is distinct");
    assert.ok(!blocks.has("00".repeat(16)));
  });

  test("changing any bound parameter changes the pad", () => {
    const variants: Partial<PadContext>[] = [
      {},
      { groupId: new Uint8Array(32).fill(9) },
      { slot: 8 },
      { params: { ...params, roundPeriodMs: params.roundPeriodMs + 1 } },
      { params: { ...params, minParticipants: params.minParticipants + 1 } },
      { params: { ...params, maxParticipants: params.maxParticipants + 1 } },
      { params: { ...params, foldDeadlineMs: params.foldDeadlineMs + 1 } },
      { params: { ...params, roundDeadlineMs: params.roundDeadlineMs + 1 } },
      { params: { ...params, messageSlots: 1 } },
      { params: { ...params, reservationSlots: 9 } },
      { clientId: "aa".repeat(32) },
      { serverId: "bb".repeat(32) },
    ];
    const seen = new Set<string>();
    const base = pair(1, 1);
    const shared = new Uint8Array(32).fill(3);
    for (const v of variants) {
      // A fresh ratchet per variant from one shared secret: only the context differs.
      const ctx = ctxOf(base.clientId, base.serverId, 3, v);
      const r = PadRatchet.fromSharedSecret(shared, { groupId: ctx.groupId, clientId: ctx.clientId, serverId: ctx.serverId, startRound: 1 });
      seen.add(Buffer.from(pad(r.padKey(ctx), 64)).toString("hex"));
    }
    assert.equal(seen.size, variants.length);
  });

  test("ratchet: a past round's key is erased; skipping ahead matches stepping one by one", () => {
    const p = pair(2, 2, 10);
    const k12 = p.serverSide.padKey(ctxOf(p.clientId, p.serverId, 12));
    for (const r of [10, 11]) p.clientSide.padKey(ctxOf(p.clientId, p.serverId, r));
    assert.deepEqual(p.clientSide.padKey(ctxOf(p.clientId, p.serverId, 12)), k12);
    assert.equal(p.clientSide.nextRound, 13);
    assert.throws(() => p.clientSide.padKey(ctxOf(p.clientId, p.serverId, 12)), (e: unknown) => {
      assert.ok(e instanceof ZipnetError && e.code === "ZIPNET_RATCHET_PAST");
      assert.equal(e.details.earliestAvailable, 13);
      return true;
    });
    assert.throws(() => p.clientSide.padKey(ctxOf("cc".repeat(32), p.serverId, 20)), { code: "ZIPNET_KEY_INVALID" });
    p.clientSide.destroy();
    assert.throws(() => p.clientSide.padKey(ctxOf(p.clientId, p.serverId, 14)), { code: "ZIPNET_RATCHET_PAST" });
  });

  test("bad peer keys are typed errors, not crashes", () => {
    const me = generateX25519();
    assert.throws(() => sharedSecret(me.privateKey, new Uint8Array(31)), { code: "ZIPNET_KEY_INVALID" });
    // The all-zero point has small order: the agreement must be refused.
    assert.throws(() => sharedSecret(me.privateKey, new Uint8Array(32)), { code: "ZIPNET_KEY_INVALID" });
    assert.throws(
      () => PadRatchet.fromSharedSecret(new Uint8Array(32), { groupId: new Uint8Array(3), clientId: "aa".repeat(32), serverId: "bb".repeat(32), startRound: 1 }),
      { code: "ZIPNET_KEY_INVALID" },
    );
  });
});

test("hkdf equals node's hkdfSync (RFC 5869) for 1..32-byte outputs", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 32 }), (ikm, salt, info, len) => {
      assert.deepEqual(hkdf(ikm, salt, info, len), new Uint8Array(hkdfSync("sha256", ikm, salt, info, len)));
    }),
  );
  assert.throws(() => hkdf(new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), 33), { code: "ZIPNET_KEY_INVALID" });
});

test("the ratchet follows its spec: chain0 = HKDF(shared, groupId, chainInfo); pad_r = HKDF(chain_r, groupId, padInfo); chain_r+1 = HKDF(chain_r, groupId, ratchet ‖ r)", () => {
  const shared = new Uint8Array(32).fill(5);
  const clientId = "aa".repeat(32);
  const serverId = "bb".repeat(32);
  const ratchet = PadRatchet.fromSharedSecret(shared, { groupId: GROUP_ID, clientId, serverId, startRound: 3 });
  const H = (ikm: Uint8Array, info: Uint8Array) => new Uint8Array(hkdfSync("sha256", ikm, GROUP_ID, info, 32));
  let chain = H(shared, chainInfo(GROUP_ID, clientId, serverId, 3));
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  };
  // Rounds 5 and 6 are skipped: the ratchet must step through them.
  const served = new Set([3, 4, 7]);
  for (let r = 3; r <= 7; r++) {
    if (served.has(r)) {
      const ctx = ctxOf(clientId, serverId, r);
      const okm = H(chain, padInfo(ctx));
      assert.deepEqual(ratchet.padKey(ctx), { key: okm.slice(0, 16), iv: okm.slice(16) });
    }
    chain = H(chain, new Uint8Array([...RATCHET_INFO, ...u64(r)]));
  }
  assert.equal(ratchet.nextRound, 8);
});
