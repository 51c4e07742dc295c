// The aggregator holds the committee secret and is admitted, but does not
// vote: the servers let it forward its aggregate and nothing else — a second
// layer besides the signature on epoch keys, which keeps an admitted insider
// from naming a server's next epoch key (docs/adr/0006, "Review finding").
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { multiaddr } from "@multiformats/multiaddr";
import { Admission, CommitteeError, createLatticeHost, forwardProposal } from "@builder/net";
import { encodeCommand, zipnetIds } from "../src/index.js";
import { startCluster } from "./fixtures/cluster.js";
import { testLattice, waitFor } from "./fixtures/lattice.js";

test("an admitted non-voter (like the aggregator) may forward only submitAggregate: a forged epoch key is refused and never applied", { timeout: 60_000 }, async () => {
  const lattice = testLattice(undefined, "zipnet-forward-filter");
  const cluster = await startCluster(lattice);
  const insider = await createLatticeHost({ secret: randomBytes(32), listen: ["/ip4/127.0.0.1/tcp/0"] });
  const ids = zipnetIds(lattice.config);
  const admission = new Admission({ host: insider, groupId: ids.groupId, committeeSecret: lattice.committeeSecret });
  await admission.start();
  try {
    await waitFor("a leader", () => cluster.servers.some((s) => s.committee.status().role === "leader"), 20_000);
    const leader = cluster.servers.find((s) => s.committee.status().role === "leader")!;
    await admission.admit(multiaddr(cluster.providers[cluster.servers.indexOf(leader)]!));

    const victim = leader.serverId;
    const forged = encodeCommand({ type: "announceServerKey", key: { server: victim, epoch: 7, publicKey: randomBytes(32), signature: randomBytes(64) } });
    const err = await forwardProposal(insider.libp2p, ids.groupId, leader.peerId, forged, null, AbortSignal.timeout(10_000)).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CommitteeError, `expected a CommitteeError, got ${String(err)}`);
    assert.equal(err.fields.serverCode, "COMMITTEE_FORWARD_REFUSED");
    assert.match(err.message, /only submitAggregate, not announceServerKey/);
    assert.equal(err.fields.outcome, "failed", "a refusal is final: no retry at another member");
    // Nothing reached the log: no server's machine knows a key for that epoch.
    for (const s of cluster.servers) assert.deepEqual(s.state.machine.serverEpochKeys(7), []);
  } finally {
    await admission.stop();
    await insider.stop();
    await cluster.stop();
  }
});
