// ServerEpochKeys on a real directory: the key of a future epoch is on disk
// (0600) until its epoch opens, then only the chains are, each stored at the
// first round it has not served; a restart resumes or re-derives, and sits an
// epoch out when neither the key nor the chains survived.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EPOCH_KEYS_DIR,
  PadRatchet,
  ServerEpochKeys,
  clientIdOf,
  decodeChainState,
  firstRoundOfEpoch,
  roundParams,
  serverIdOf,
  sharedSecret,
  type ClientInfo,
  type PadContext,
} from "../src/index.js";
import { GROUP_ID, keyPair } from "./fixtures.js";

const params = { ...roundParams("interactive"), messageSlots: 2, reservationSlots: 8 };
const serverId = serverIdOf(keyPair("ek-server").publicKey);
const clientKeys = Array.from({ length: 70 }, (_, i) => keyPair(`ek-client-${i}`));
const clients: ClientInfo[] = clientKeys.map((kp) => ({ id: clientIdOf(kp.publicKey), publicKey: kp.publicKey })).sort((a, b) => (a.id < b.id ? -1 : 1));
const kpOf = new Map(clientKeys.map((kp) => [clientIdOf(kp.publicKey), kp]));
const ctx = (clientId: string, round: number): PadContext => ({ groupId: GROUP_ID, round, slot: 1, params, clientId, serverId });

function capture() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => void lines.push({ level, obj, msg });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

async function withDir(f: (dataDir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "zipnet-epoch-keys-"));
  try {
    await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const clientSide = (clientId: string, epochKey: Uint8Array, epoch: number) =>
  PadRatchet.forEpoch(sharedSecret(kpOf.get(clientId)!.privateKey, epochKey), { groupId: GROUP_ID, clientId, serverId, epoch, startRound: firstRoundOfEpoch(epoch, params.roundPeriodMs) });

test("the epoch key waits on disk (0600 in a 0700 dir) until its epoch opens; then only chains remain, at the first unserved round", async () => {
  await withDir(async (dataDir) => {
    const { logger } = capture();
    const keys = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    const dir = join(dataDir, EPOCH_KEYS_DIR);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const pk0 = await keys.publicKeyFor(0);
    assert.deepEqual(await keys.publicKeyFor(0), pk0, "one key per epoch");
    assert.deepEqual(await readdir(dir), ["epoch-0.key"]);
    assert.equal((await stat(join(dir, "epoch-0.key"))).mode & 0o777, 0o600);

    assert.equal(await keys.enter({ epoch: 0, round: 1, firstRound: 1, clients, publicKey: pk0 }), "ready");
    assert.deepEqual(await readdir(dir), ["chains.bin"], "the epoch key file is gone once the chains exist");
    const c0 = clients[0]!.id;
    const expected = clientSide(c0, pk0, 0);
    const partial = await keys.serve(1, async (ratchet) => ratchet(c0)!.padKey(ctx(c0, 1)));
    assert.deepEqual(partial, expected.padKey(ctx(c0, 1)), "the server's chain agrees with the client's");
    const onDisk = decodeChainState(await readFile(join(dir, "chains.bin")));
    assert.equal(onDisk.epoch, 0);
    assert.equal(onDisk.chains.length, clients.length);
    assert.ok(onDisk.chains.every((c) => c.nextRound === 2), "every chain (participant or not) is past the served round");

    // Restart: the persisted chains resume at round 2; round 1 cannot be derived again.
    keys.close();
    const again = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    assert.equal(await again.enter({ epoch: 0, round: 2, firstRound: 1, clients, publicKey: pk0 }), "ready");
    assert.throws(() => again.ratchet(c0)!.padKey(ctx(c0, 1)), { code: "ZIPNET_RATCHET_PAST" });
    assert.deepEqual(await again.serve(2, async (r) => r(c0)!.padKey(ctx(c0, 2))), expected.padKey(ctx(c0, 2)));
    await assert.rejects(() => again.publicKeyFor(0), { code: "ZIPNET_KEY_INVALID" }, "no new key for an epoch already entered");
    again.close();
  });
});

test("a restart between announcing and entering derives from the key file; a key file that is not the announced key is not used", async () => {
  await withDir(async (dataDir) => {
    const { logger, lines } = capture();
    const first = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    const pk = await first.publicKeyFor(0);
    first.close();
    const second = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    assert.equal(await second.enter({ epoch: 0, round: 3, firstRound: 1, clients: clients.slice(0, 2), publicKey: keyPair("not-ours").publicKey }), "sitting_out");
    assert.match(lines.find((l) => l.level === "error")?.msg ?? "", /does not match/);
    assert.equal(await second.enter({ epoch: 0, round: 3, firstRound: 1, clients: clients.slice(0, 2), publicKey: pk }), "ready");
    const c = clients[1]!.id;
    assert.equal(second.ratchet(c)!.nextRound, 3, "entered mid-epoch: the rounds before the live one are erased");
    assert.deepEqual(second.ratchet(c)!.padKey(ctx(c, 3)), clientSide(c, pk, 0).padKey(ctx(c, 3)));
    second.close();
  });
});

test("a crash between persisting an epoch's chains and erasing its key: the key file is erased at restart, and serving goes on", async () => {
  await withDir(async (dataDir) => {
    const { logger } = capture();
    const dir = join(dataDir, EPOCH_KEYS_DIR);
    const keys = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    const pk0 = await keys.publicKeyFor(0);
    const keyFile = await readFile(join(dir, "epoch-0.key"));
    assert.equal(await keys.enter({ epoch: 0, round: 1, firstRound: 1, clients, publicKey: pk0 }), "ready");
    const pk1 = await keys.publicKeyFor(1);
    keys.close();
    // The state the crash leaves: chains of epoch 0 on disk and its key file still there.
    await writeFile(join(dir, "epoch-0.key"), keyFile, { mode: 0o600 });
    const again = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    assert.deepEqual((await readdir(dir)).sort(), ["chains.bin", "epoch-1.key"], "the entered epoch's key is erased, the next epoch's kept");
    assert.equal(again.chainsEpoch, 0);
    const c0 = clients[0]!.id;
    assert.equal(await again.enter({ epoch: 0, round: 2, firstRound: 1, clients, publicKey: pk0 }), "ready");
    assert.deepEqual(await again.serve(2, async (r) => r(c0)!.padKey(ctx(c0, 2))), clientSide(c0, pk0, 0).padKey(ctx(c0, 2)));
    assert.deepEqual(await again.publicKeyFor(1), pk1, "the next epoch's announced key survived");
    again.close();
  });
});

test("with neither the epoch key nor its chains, the server sits the epoch out (one loud line) and serves again from the next epoch", async () => {
  await withDir(async (dataDir) => {
    const { logger, lines } = capture();
    const keys = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    const pk1 = await keys.publicKeyFor(1);
    // A stale key of an epoch that will never open again.
    const dir = join(dataDir, EPOCH_KEYS_DIR);
    await writeFile(join(dir, "epoch-0.key.tmp"), "torn write");
    assert.equal(await keys.enter({ epoch: 0, round: 4, firstRound: 1, clients }), "sitting_out");
    assert.equal(await keys.enter({ epoch: 0, round: 5, firstRound: 1, clients }), "sitting_out");
    const errors = lines.filter((l) => l.level === "error");
    assert.equal(errors.length, 1, "logged once per epoch");
    assert.deepEqual(errors[0]!.obj.epoch, 0);
    assert.equal(keys.ratchet(clients[0]!.id), undefined);
    const first1 = firstRoundOfEpoch(1, params.roundPeriodMs);
    assert.equal(await keys.enter({ epoch: 1, round: first1, firstRound: first1, clients, publicKey: pk1 }), "ready");
    const c = clients[5]!.id;
    assert.deepEqual(keys.ratchet(c)!.padKey(ctx(c, first1)), clientSide(c, pk1, 1).padKey(ctx(c, first1)));
    keys.close();
    // Reopening removes the torn temp file.
    const reopened = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    assert.deepEqual(await readdir(dir), ["chains.bin"]);
    reopened.close();
  });
});

test("a chain-state file of another server is refused with a typed error", async () => {
  await withDir(async (dataDir) => {
    const { logger } = capture();
    const a = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    const pk = await a.publicKeyFor(0);
    await a.enter({ epoch: 0, round: 1, firstRound: 1, clients: clients.slice(0, 1), publicKey: pk });
    a.close();
    await assert.rejects(() => ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId: "ee".repeat(32), logger }), { code: "ZIPNET_KEY_INVALID" });
  });
});

test("a replayed log still in an earlier epoch than the persisted chains is 'behind', not a reason to sit out", async () => {
  await withDir(async (dataDir) => {
    const { logger, lines } = capture();
    const keys = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    const pk1 = await keys.publicKeyFor(0).then(() => keys.enter({ epoch: 0, round: 1, firstRound: 1, clients: clients.slice(0, 3) })).then(() => keys.publicKeyFor(1));
    const first1 = firstRoundOfEpoch(1, params.roundPeriodMs);
    assert.equal(await keys.enter({ epoch: 1, round: first1, firstRound: first1, clients: clients.slice(0, 3), publicKey: pk1 }), "ready");
    keys.close();
    const restarted = await ServerEpochKeys.open({ dataDir, groupId: GROUP_ID, serverId, logger });
    assert.equal(await restarted.enter({ epoch: 0, round: 4, firstRound: 1, clients: clients.slice(0, 3) }), "behind");
    assert.equal(lines.filter((l) => l.level === "error").length, 0);
    assert.equal(await restarted.enter({ epoch: 1, round: first1 + 1, firstRound: first1, clients: clients.slice(0, 3) }), "ready");
    assert.equal(restarted.ratchet(clients[0]!.id)!.nextRound, first1 + 1);
    restarted.close();
  });
});
