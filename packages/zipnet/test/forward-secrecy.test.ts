// Forward secrecy at the servers (docs/adr/0006), on a real in-process group:
// a client's datum lands in a round r of key epoch e (0 unless the machine is
// slow); once the group has moved into epoch e+1, EVERYTHING server-0 holds — its peer secret (identity key),
// every file in its data dir, and its in-memory chains — is taken, and no
// derivation from it reproduces server-0's pad key for that client in round r.
// Then the server keeps serving (a datum lands in a later epoch), and a server
// stopped mid-epoch and restarted from its data dir rejoins: data land again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { createLatticeHost } from "@builder/net";
import {
  EPOCH_KEYS_DIR,
  PadRatchet,
  decodeChainState,
  epochOfRound,
  firstRoundOfEpoch,
  serverKeyFromPeerSecret,
  sharedSecret,
  submit,
  x25519FromSecret,
  type LiveRound,
  type PadKey,
  type Submitter,
  type SubmissionReceipt,
} from "../src/index.js";
import { startCluster } from "./fixtures/cluster.js";
import { testLattice, waitFor } from "./fixtures/lattice.js";

const secretOf = (label: string): Uint8Array => new Uint8Array(createHash("sha256").update(`fs-test/${label}`).digest());

async function filesUnder(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) for (const [p, b] of await filesUnder(path)) out.set(p, b);
    else out.set(path, new Uint8Array(await readFile(path)));
  }
  return out;
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle)) !== -1;
}

const samePad = (a: PadKey, b: PadKey): boolean => Buffer.from(a.key).equals(Buffer.from(b.key)) && Buffer.from(a.iv).equals(Buffer.from(b.iv));

test("a server's files, identity key and memory after an epoch cannot re-derive a pad it used in that epoch; it keeps serving, and a restart mid-epoch rejoins", { timeout: 150_000 }, async () => {
  const lattice = testLattice(undefined, "forward-secrecy");
  const cluster = await startCluster(lattice);
  const host = await createLatticeHost({ secret: crypto.getRandomValues(new Uint8Array(32)) });
  const clients: Submitter[] = [];
  const receipts: SubmissionReceipt[] = [];
  // Every LiveRound server-0 applied, by round: what clients derive their pads from.
  const lives = new Map<number, LiveRound>();
  const s0 = cluster.servers[0]!;
  s0.onApplied((a) => {
    if (a.result.status === "accepted" && a.command?.type === "openRound") lives.set(a.command.live.round, a.command.live);
  });
  const landed = (c: number, id: number) => receipts.find((r) => r.outcome === "landed" && (r as SubmissionReceipt & { client?: number }).client === c && r.id === id);
  try {
    const secrets = [secretOf("client-a"), secretOf("client-b")];
    for (const [i, secret] of secrets.entries()) {
      const c = await submit(lattice.config, { providers: cluster.providers, aggregator: cluster.aggregator.multiaddrs[0]!, ticket: lattice.ticket, host, secret });
      c.events.on("receipt", (r) => receipts.push({ ...r, client: i } as SubmissionReceipt));
      clients.push(c);
    }
    const a = clients[0]!;
    const aKey = x25519FromSecret(secrets[0]!);
    const first = a.send(new TextEncoder().encode("0x02 epoch-0 datum"));
    await waitFor("client A's first datum landed", () => landed(0, first) !== undefined, 30_000);
    const r = landed(0, first)!.round;
    const liveR = lives.get(r);
    assert.ok(liveR, `server-0 applied LiveRound ${r}`);
    const roundPeriodMs = liveR.params.roundPeriodMs;
    const e = epochOfRound(r, roundPeriodMs);

    // The pad key A used with server-0 in round r, as A derived it: A's key × server-0's key of epoch e.
    const s0EpochKey = liveR.servers.find((s) => s.id === s0.serverId)!.publicKey;
    const shared = sharedSecret(aKey.privateKey, s0EpochKey);
    const start0 = firstRoundOfEpoch(e, roundPeriodMs);
    const at = { groupId: s0.ids.groupId, clientId: a.clientId, serverId: s0.serverId, epoch: e, startRound: start0 };
    const ctx = { groupId: s0.ids.groupId, round: r, slot: liveR.slot, params: liveR.params, clientId: a.clientId, serverId: s0.serverId };
    const chainsUpToR: Uint8Array[] = [];
    const clientChain = PadRatchet.forEpoch(shared, at);
    for (let k = start0; k <= r; k++) {
      chainsUpToR.push(clientChain.exportState().chain);
      clientChain.skipTo(k + 1);
    }
    const target = PadRatchet.forEpoch(shared, at).padKey(ctx);
    // Controls: the derivation paths tried below do reach the pad from the right material.
    assert.ok(samePad(PadRatchet.fromState({ clientId: a.clientId, nextRound: r, chain: chainsUpToR[r - start0]! }, { groupId: s0.ids.groupId, serverId: s0.serverId }).padKey(ctx), target));
    assert.ok(samePad(PadRatchet.fromState({ clientId: a.clientId, nextRound: start0, chain: chainsUpToR[0]! }, { groupId: s0.ids.groupId, serverId: s0.serverId }).padKey(ctx), target));

    // Into epoch e+1 and a round finalized there: server-0 has erased epoch e's key and advanced its chains.
    const nextEpochStart = firstRoundOfEpoch(e + 1, roundPeriodMs);
    await waitFor(`a round of epoch ${e + 1} finalized`, () => s0.state.machine.broadcasts(nextEpochStart).length >= 1, 60_000, 100);

    // ---- Everything server-0 has.
    const identity = serverKeyFromPeerSecret(cluster.secrets[0]!);
    const files = await filesUnder(cluster.dataDirs[0]!);
    const memory = await s0.epochKeys.secretsForTest();
    const keysDir = join(cluster.dataDirs[0]!, EPOCH_KEYS_DIR);
    const chainFile = decodeChainState(files.get(join(keysDir, "chains.bin"))!);
    assert.ok(chainFile.epoch > e, `the chain file holds epoch ${chainFile.epoch} chains`);
    assert.ok(![...files.keys()].some((p) => p.endsWith(`epoch-${e}.key`)), `epoch ${e}'s key file is gone`);
    assert.ok(![...memory.keyFiles.keys()].includes(e));
    const liveEpoch = s0.state.machine.liveEpoch();

    // (1) The identity key (the pad key before this change), through every root derivation for every epoch so far and the next.
    const idShared = sharedSecret(identity.privateKey, aKey.publicKey);
    for (let ep = 0; ep <= liveEpoch + 1; ep++) {
      for (const startRound of [firstRoundOfEpoch(ep, roundPeriodMs), 1, r]) {
        if (startRound > r) continue;
        assert.ok(!samePad(PadRatchet.forEpoch(idShared, { ...at, epoch: ep, startRound }).padKey(ctx), target), `identity key, epoch ${ep}`);
      }
    }
    for (const startRound of [1, r]) assert.ok(!samePad(PadRatchet.fromSharedSecret(idShared, { ...at, startRound }).padKey(ctx), target), "identity key, v1 anchors");

    // (2) Every chain key on disk and in memory, taken as the chain of any round from the epoch's start to r.
    const chainCandidates = [...chainFile.chains, ...memory.chains];
    assert.ok(chainCandidates.length >= 2);
    for (const c of chainCandidates) {
      assert.ok(c.nextRound > r, `chain of ${c.clientId.slice(0, 8)} is past round ${r} (at ${c.nextRound})`);
      for (let k = start0; k <= r; k++) {
        const as = PadRatchet.fromState({ clientId: a.clientId, nextRound: k, chain: c.chain }, { groupId: s0.ids.groupId, serverId: s0.serverId });
        assert.ok(!samePad(as.padKey(ctx), target), "a stored chain key, read as round " + k);
      }
    }

    // (3) Leftover epoch key files (the next epoch's, announced but not yet used): as server-0's key of epoch e, and as their own epoch.
    for (const [fileEpoch, secret] of memory.keyFiles) {
      assert.ok(fileEpoch > liveEpoch, `only future epochs' keys are on disk (found ${fileEpoch}, live ${liveEpoch})`);
      const kp = x25519FromSecret(secret);
      assert.ok(!Buffer.from(kp.publicKey).equals(Buffer.from(s0EpochKey)), `not epoch ${e}'s key`);
      const sh = sharedSecret(kp.privateKey, aKey.publicKey);
      for (const epoch of [e, fileEpoch]) assert.ok(!samePad(PadRatchet.forEpoch(sh, { ...at, epoch }).padKey(ctx), target), `key file of epoch ${fileEpoch}`);
    }

    // (4) No byte string that derives the pad appears anywhere: the X25519 output, the epoch root and every chain key up to r, the pad key itself.
    const needles = [shared, ...chainsUpToR, target.key];
    for (const [path, bytes] of files) for (const n of needles) assert.ok(!contains(bytes, n), `${path} holds a derivation secret of round ${r}`);
    // And no 32-byte window of the key directory's files is server-0's private key of epoch e.
    for (const [path, bytes] of files) {
      if (!path.startsWith(keysDir)) continue;
      for (let off = 0; off + 32 <= bytes.length; off++) {
        const pub = x25519FromSecret(bytes.slice(off, off + 32)).publicKey;
        assert.ok(!Buffer.from(pub).equals(Buffer.from(s0EpochKey)), `${path}@${off} is epoch ${e}'s private key`);
      }
    }

    // ---- Server-0 keeps serving: a datum sent in a later epoch lands (its pads agree with the clients').
    const later = a.send(new TextEncoder().encode("0x02 later-epoch datum"));
    await waitFor("the later datum landed", () => landed(0, later) !== undefined, 30_000);
    assert.ok(epochOfRound(landed(0, later)!.round, roundPeriodMs) > e);

    // ---- Restart mid-epoch: server-2 stops, restarts from its data dir, resumes its chains; data land again.
    await waitFor("mid-epoch", () => {
      const live = cluster.servers[2]!.state.machine.liveRound();
      return live !== null && live.round > firstRoundOfEpoch(epochOfRound(live.round, roundPeriodMs), roundPeriodMs) + 1;
    }, 30_000);
    const restarted = await cluster.restart(2);
    const resumeFrom = restarted.state.machine.liveRound()?.round ?? 0;
    const b = clients[1]!;
    const afterRestart = b.send(new TextEncoder().encode("0x02 after restart"));
    await waitFor("a datum landed after the restart", () => landed(1, afterRestart) !== undefined, 45_000);
    await waitFor("server-2 contributed partials again", () => restarted.state.machine.broadcasts(resumeFrom + 1).length >= 1, 20_000);
    assert.equal(cluster.serverMetrics[2]!.get("zipnet_epoch_sitting_out"), 0, "the restarted server holds chains for the live epoch");
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    await cluster.stop();
    await host.stop();
  }
});
