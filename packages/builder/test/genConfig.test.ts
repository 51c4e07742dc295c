import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { ORGANISMS, assembleLatticeConfig, groupId, idToHex, latticeConfigFromHex, latticeId } from "@builder/lattice-config";
import { runTs } from "./helpers/child.js";
import { scratchDir } from "../../daemon/test/helpers/scratchDir.js";

const SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("builder gen-config (child process)", () => {
  test("the seed's flags print a hex that decodes to the config assembleLatticeConfig gives", async () => {
    const dir = await scratchDir("gen-config-");
    const image = join(dir, "atelier.tdx.img");
    await fs.writeFile(image, Buffer.from("not a real TD image, but bytes to measure"));
    const r = await runTs("builder.ts", [
      "gen-config",
      "--instance", "acme.ethereum.mainnet",
      "--chain-id", "1",
      "--zipnet-window", "interactive",
      "--unseal-threshold", "5-of-7",
      "--offer-window", "800ms",
      "--atelier-image", image,
      "--relay-policy", "l1-mev-boost",
      "--tally-settlement-addr", SETTLEMENT,
      "--proposer-endpoint", "https://mev-boost.relay-a.example",
      "--proposer-endpoint", "https://mev-boost.relay-b.example",
      "--chain-rpc", "https://eth.example/rpc",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]+\n$/, "stdout is only the hex and a newline");

    const mrtd = new Uint8Array(createHash("sha384").update(await fs.readFile(image)).digest());
    const expected = assembleLatticeConfig({
      instance: "acme.ethereum.mainnet",
      chainId: 1,
      zipnetWindow: "interactive",
      unsealThreshold: "5-of-7",
      offerWindow: "800ms",
      atelierImageMrtd: mrtd,
      relayPolicy: "l1-mev-boost",
      tallySettlementAddr: SETTLEMENT,
      proposerEndpoints: ["https://mev-boost.relay-a.example", "https://mev-boost.relay-b.example"],
      chainRpc: "https://eth.example/rpc",
    });
    const decoded = latticeConfigFromHex(r.stdout.trim());
    assert.deepEqual(decoded, expected);
    assert.equal(decoded.unseal.t, 5);
    assert.equal(decoded.unseal.n, 7);
    assert.deepEqual(decoded.atelier.imageMrtd, mrtd);
    assert.equal(decoded.atelier.imageMrtd?.length, 48);

    assert.match(r.stderr, new RegExp(`^lattice_id: +${idToHex(latticeId(expected))}$`, "m"));
    for (const org of ORGANISMS) assert.ok(r.stderr.includes(idToHex(groupId(expected, org))), org);
    assert.match(r.stderr, new RegExp(`^atelier_mrtd: +${Buffer.from(mrtd).toString("hex")} \\(dev measurement: sha384 of the image file\\)$`, "m"));
  });

  test("flags not given take the library defaults; devnet flags land in the config", async () => {
    const r = await runTs("builder.ts", ["gen-config", "--instance", "dev.local", "--chain-id", "31337", "--tally-settlement-addr", SETTLEMENT, "--slot-duration-ms", "2000", "--genesis-unix-ms", "1700000000000", "--insecure-dev"]);
    assert.equal(r.code, 0, r.stderr);
    const decoded = latticeConfigFromHex(r.stdout.trim());
    assert.deepEqual(decoded, assembleLatticeConfig({ instance: "dev.local", chainId: 31337n, tallySettlementAddr: SETTLEMENT, slotDurationMs: 2000, slotGenesisUnixMs: 1_700_000_000_000, insecureDev: true }));
    assert.equal(decoded.insecureDev, true);
    assert.deepEqual(decoded.slot, { genesisUnixMs: 1_700_000_000_000, durationMs: 2000 });
  });

  test("a missing image and a non-numeric duration are one-line errors, exit 2", async () => {
    const missing = await runTs("builder.ts", ["gen-config", "--instance", "a.b", "--chain-id", "1", "--tally-settlement-addr", SETTLEMENT, "--atelier-image", "/nonexistent/atelier.img"]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, "builder gen-config: --atelier-image '/nonexistent/atelier.img' cannot be read (ENOENT)\n");
    const badMs = await runTs("builder.ts", ["gen-config", "--instance", "a.b", "--chain-id", "1", "--tally-settlement-addr", SETTLEMENT, "--slot-duration-ms", "12s"]);
    assert.equal(badMs.code, 2);
    assert.equal(badMs.stderr, "builder gen-config: --slot-duration-ms is '12s'; expected a non-negative whole number\n");
    assert.equal(badMs.stdout, "");
  });
});
