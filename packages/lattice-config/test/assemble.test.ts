import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  assembleLatticeConfig,
  derive,
  idToHex,
  KNOWN_SLOT_GENESIS_UNIX_MS,
  LATTICE_CONFIG_DEFAULTS,
  LatticeConfigError,
  latticeConfigFromHex,
  latticeConfigToHex,
  latticeRoot,
  parseDurationMs,
  parseThreshold,
  toChecksumAddress,
} from "../src/index.js";

const ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

describe("assembleLatticeConfig", () => {
  test("the seed's gen-config flags, with every other field from the defaults", () => {
    const mrtd = "ab".repeat(48);
    const cfg = assembleLatticeConfig({
      instance: "acme.ethereum.mainnet",
      chainId: "1",
      zipnetWindow: "interactive",
      unsealThreshold: "5-of-7",
      offerWindow: "800ms",
      atelierImageMrtd: mrtd,
      relayPolicy: "l1-mev-boost",
      tallySettlementAddr: ADDR,
    });
    const D = LATTICE_CONFIG_DEFAULTS;
    assert.equal(cfg.name, "acme.ethereum.mainnet");
    assert.equal(cfg.chainId, 1n);
    assert.deepEqual(cfg.slot, { genesisUnixMs: KNOWN_SLOT_GENESIS_UNIX_MS["1"], durationMs: D.slotDurationMs });
    assert.equal(cfg.insecureDev, false);
    assert.deepEqual([cfg.unseal.t, cfg.unseal.n], [5, 7]);
    assert.equal(cfg.offer.auctionWindowMs, 800);
    assert.deepEqual([cfg.offer.committeeSize, cfg.offer.threshold], [D.offerCommitteeSize, 2]);
    assert.deepEqual([cfg.atelier.n, cfg.atelier.threshold, cfg.atelier.blockSchema], [D.atelierCommitteeSize, 2, D.blockSchema]);
    assert.equal(Buffer.from(cfg.atelier.imageMrtd!).toString("hex"), mrtd);
    assert.deepEqual(cfg.atelier.mrtdAcl.map((m) => Buffer.from(m).toString("hex")), [mrtd]);
    assert.equal(cfg.atelier.chainRpc, "");
    assert.deepEqual(cfg.relay.proposerEndpoints, []);
    assert.equal(cfg.tally.confirmationDepth, D.confirmationDepth);
    assert.equal(toChecksumAddress(cfg.tally.settlementAddr), ADDR);
    // The init salt is derived, so running gen-config twice yields the same LatticeConfig.
    assert.equal(idToHex(cfg.zipnet.initSalt), idToHex(derive(latticeRoot("acme.ethereum.mainnet", 1n), "zipnet.init-salt")));
    assert.equal(latticeConfigToHex(assembleLatticeConfig({ name: "acme.ethereum.mainnet", chainId: 1, unsealThreshold: "5-of-7", atelierImageMrtd: mrtd, tallySettlementAddr: ADDR })), latticeConfigToHex(cfg));
    assert.deepEqual(latticeConfigFromHex(latticeConfigToHex(cfg)), cfg);
  });

  test("an unknown chain defaults its slot genesis to 0", () => {
    assert.equal(assembleLatticeConfig({ name: "dev", chainId: 31337, tallySettlementAddr: ADDR }).slot.genesisUnixMs, 0);
  });

  test("window strings: presets, tuples equal to a preset, explicit tuples", () => {
    const w = (zipnetWindow: string) => assembleLatticeConfig({ name: "dev", chainId: 31337, tallySettlementAddr: ADDR, zipnetWindow }).zipnet.window;
    assert.equal(w("archival"), "archival");
    assert.equal(w("1000,2,64,700,950"), "interactive");
    assert.deepEqual(w("2000, 3, 32, 1200, 1800"), { roundPeriodMs: 2000, minParticipants: 3, maxParticipants: 32, foldDeadlineMs: 1200, roundDeadlineMs: 1800 });
  });

  test("every bad option is reported at once, by option name", () => {
    assert.throws(
      () => assembleLatticeConfig({ name: "", chainId: "mainnet", zipnetWindow: "fast", unsealThreshold: "7-of-5", offerWindow: "soon", relayPolicy: "mev", tallySettlementAddr: ADDR.toLowerCase() }),
      (e: unknown) => {
        assert.ok(e instanceof LatticeConfigError);
        assert.equal(e.code, "LATTICE_CONFIG_BAD_OPTION");
        assert.deepEqual(e.problems.map((p) => p.field).sort(), ["chainId", "name", "offerWindow", "relayPolicy", "tallySettlementAddr", "unsealThreshold", "zipnetWindow"]);
        return true;
      },
    );
  });

  test("options that parse but break a rule fail validation with the config field named", () => {
    assert.throws(
      () => assembleLatticeConfig({ name: "dev", chainId: 31337, tallySettlementAddr: ADDR, offerWindow: "15s", unsealThreshold: "5-of-9" }),
      (e: unknown) =>
        e instanceof LatticeConfigError &&
        e.code === "LATTICE_CONFIG_INVALID" &&
        e.problems.some((p) => p.field === "offer.auctionWindowMs") &&
        e.problems.some((p) => p.field === "unseal.n"),
    );
  });
});

describe("option parsers", () => {
  test("parseThreshold", () => {
    assert.deepEqual(parseThreshold("5-of-7"), { ok: true, value: { t: 5, n: 7 } });
    assert.equal(parseThreshold("4-of-8").ok, false);
    assert.equal(parseThreshold("five-of-seven").ok, false);
  });

  test("parseDurationMs", () => {
    assert.deepEqual(parseDurationMs("800ms"), { ok: true, value: 800 });
    assert.deepEqual(parseDurationMs("1.5s"), { ok: true, value: 1500 });
    assert.deepEqual(parseDurationMs("250"), { ok: true, value: 250 });
    assert.deepEqual(parseDurationMs(800), { ok: true, value: 800 });
    for (const bad of ["0ms", "1.5ms", "-1s", "soon", 0, 2.5]) assert.equal(parseDurationMs(bad).ok, false, String(bad));
  });
});
