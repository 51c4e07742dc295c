import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { stringify } from "smol-toml";
import { groupId, idToHex, latticeId, manifestToLatticeConfig, ManifestError, parseManifest, type ManifestProblem } from "../src/index.js";

const EXAMPLE_PATH = fileURLToPath(new URL("../../../deploy/examples/lattice.toml", import.meta.url));
const FILE = "deploy/test/lattice.toml";
const ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

type Doc = Record<string, any>;

/** A valid manifest in the seed's shape, as data, so each test breaks exactly one thing. */
function baseDoc(): Doc {
  const tdx = (n: number) => ({ ssh: `ubuntu@tdx-0${n}.acme.com`, tdx: true, roles: ["unseal-member", "atelier-member"] });
  const cloud = (n: number) => ({ ssh: `ubuntu@cloud-0${n}.acme.com`, roles: ["zipnet-server", "offer-member", "relay-member", "tally-member"] });
  return {
    lattice: { name: "acme.ethereum.mainnet", chain_id: 1 },
    organisms: {
      zipnet: { window: "interactive" },
      unseal: { threshold: "2-of-3" },
      offer: { auction_window_ms: 800 },
      atelier: { block_schema: "l1-post-4844", chain_rpc: "https://eth.example/rpc" },
      relay: { policy: "l1-mev-boost", proposer_endpoints: ["https://relay-a.example"] },
      tally: { settlement_addr: ADDR, chain_rpc: "https://eth.example/rpc" },
    },
    hosts: [tdx(1), tdx(2), tdx(3), cloud(1), cloud(2), cloud(3), { ssh: "ubuntu@agg-01.acme.com", roles: ["zipnet-aggregator"] }],
  };
}

function problemsOf(text: string): ManifestProblem[] {
  try {
    parseManifest(text, { path: FILE });
  } catch (e) {
    assert.ok(e instanceof ManifestError, `expected ManifestError, got ${String(e)}`);
    for (const p of e.problems) assert.equal(p.path, FILE);
    assert.ok(e.message.startsWith(`${FILE}: `));
    for (const p of e.problems) assert.ok(e.message.includes(p.message), "the error message lists every problem");
    return [...e.problems];
  }
  assert.fail("expected the manifest to be rejected");
}

function expectProblem(doc: Doc | string, key: string, message: RegExp): ManifestProblem[] {
  const problems = problemsOf(typeof doc === "string" ? doc : stringify(doc));
  const hit = problems.find((p) => p.key === key && message.test(p.message));
  assert.ok(hit, `expected a problem at ${key} matching ${message}, got:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join("\n")}`);
  return problems;
}

describe("manifest: the seed example", () => {
  test("deploy/examples/lattice.toml parses, with the seed's role counts", () => {
    const m = parseManifest(readFileSync(EXAMPLE_PATH, "utf8"), { path: EXAMPLE_PATH });
    assert.equal(m.lattice.name, "acme.ethereum.mainnet");
    assert.equal(m.lattice.chainId, 1n);
    assert.deepEqual(m.roleCounts, { "zipnet-server": 3, "zipnet-aggregator": 1, "unseal-member": 3, "offer-member": 3, "atelier-member": 3, "relay-member": 3, "tally-member": 3 });
    assert.deepEqual(m.hosts[0]!.target, { kind: "ssh", user: "ubuntu", host: "tdx-01.acme.com" });
    assert.deepEqual({ t: m.organisms.unseal.t, n: m.organisms.unseal.n }, { t: 5, n: 7 });
    // 5-of-7 over 3 members is accepted (the seed's own example) but flagged.
    assert.equal(m.warnings.length, 1);
    assert.equal(m.warnings[0]!.key, "organisms.unseal.threshold");
    assert.match(m.warnings[0]!.message, /needs 5 unseal members but the manifest runs 3/);
  });

  test("manifestToLatticeConfig takes committee sizes from [[hosts]] and parameters from [organisms.*]", () => {
    const m = parseManifest(readFileSync(EXAMPLE_PATH, "utf8"), { path: EXAMPLE_PATH });
    const cfg = manifestToLatticeConfig(m);
    assert.equal(cfg.name, "acme.ethereum.mainnet");
    assert.deepEqual([cfg.unseal.t, cfg.unseal.n], [5, 7]);
    assert.deepEqual([cfg.offer.committeeSize, cfg.atelier.n, cfg.relay.committeeSize, cfg.tally.committeeSize], [3, 3, 3, 3]);
    assert.equal(cfg.offer.auctionWindowMs, 800);
    assert.deepEqual(cfg.relay.proposerEndpoints, ["https://mev-boost.relay-a.example"]);
    assert.equal(`0x${Buffer.from(cfg.tally.settlementAddr).toString("hex")}`, ADDR.toLowerCase());
    // Keys generated later fold in and change only their organism's GroupId.
    const keys = [1, 2, 3].map((i) => new Uint8Array(48).fill(i));
    const withKeys = manifestToLatticeConfig(m, { atelierBlsPublicKeys: keys });
    assert.notEqual(idToHex(groupId(withKeys, "atelier")), idToHex(groupId(cfg, "atelier")));
    assert.equal(idToHex(groupId(withKeys, "unseal")), idToHex(groupId(cfg, "unseal")));
    assert.notEqual(idToHex(latticeId(withKeys)), idToHex(latticeId(cfg)));
  });

  test("a devnet manifest with local hosts and insecure_dev needs no tdx", () => {
    const doc = baseDoc();
    doc.lattice.insecure_dev = true;
    doc.hosts = doc.hosts.map((h: Doc, i: number) => ({ local: true, name: `m${i}`, roles: h.roles }));
    const m = parseManifest(stringify(doc), { path: FILE });
    assert.ok(m.hosts.every((h) => h.target.kind === "local" && !h.tdx));
    assert.equal(m.hosts[2]!.name, "m2");
    assert.equal(manifestToLatticeConfig(m).insecureDev, true);
  });

  test("an explicit zipnet tuple and optional keys are honoured", () => {
    const doc = baseDoc();
    doc.organisms.zipnet.window = [2000, 4, 128, 1500, 1900];
    doc.lattice.slot_duration_ms = 2000;
    doc.organisms.offer.auction_window_ms = 500;
    const cfg = manifestToLatticeConfig(parseManifest(stringify(doc), { path: FILE }));
    assert.deepEqual(cfg.zipnet.window, { roundPeriodMs: 2000, minParticipants: 4, maxParticipants: 128, foldDeadlineMs: 1500, roundDeadlineMs: 1900 });
    assert.equal(cfg.slot.durationMs, 2000);
    doc.organisms.zipnet.window = "1000,2,64,700,950";
    assert.equal(manifestToLatticeConfig(parseManifest(stringify(doc), { path: FILE })).zipnet.window, "interactive");
  });
});

describe("manifest: one rule at a time", () => {
  test("unknown role names", () => {
    const doc = baseDoc();
    doc.hosts[6].roles = ["zipnet-aggregator", "sequencer"];
    expectProblem(doc, "hosts[6].roles[1]", /expected one of "zipnet-server", .*"tally-member", found string "sequencer"/);
  });

  test("minimum count per role", () => {
    const doc = baseDoc();
    doc.hosts[5].roles = ["zipnet-server", "offer-member", "relay-member"];
    expectProblem(doc, "hosts", /expected at least 3 tally-member processes \(role table: 3–5\), found 2/);
  });

  test("maximum count per role points at the first process over the limit", () => {
    const doc = baseDoc();
    for (let i = 0; i < 3; i++) doc.hosts.push({ ssh: `ubuntu@extra-0${i}.acme.com`, roles: ["relay-member"] });
    expectProblem(doc, "hosts[9].roles[0]", /expected at most 5 relay-member processes \(role table\), found 6/);
  });

  test("at most one zipnet-aggregator", () => {
    const doc = baseDoc();
    doc.hosts.push({ ssh: "ubuntu@agg-02.acme.com", roles: ["zipnet-aggregator"] });
    expectProblem(doc, "hosts[7].roles[0]", /expected at most one zipnet-aggregator \(role table\), found 2/);
  });

  test("tdx = true is required where unseal-member or atelier-member runs (fail closed)", () => {
    const doc = baseDoc();
    delete doc.hosts[0].tdx;
    doc.hosts[1].tdx = false;
    doc.hosts[2].roles = ["atelier-member", "unseal-member"];
    doc.hosts[2].tdx = false;
    const problems = expectProblem(doc, "hosts[0].tdx", /expected tdx = true because this host runs unseal-member .*fails closed.*found no tdx key/);
    assert.ok(problems.some((p) => p.key === "hosts[1].tdx" && /found tdx = false/.test(p.message)));
    assert.ok(problems.some((p) => p.key === "hosts[2].tdx" && /runs atelier-member/.test(p.message)));
  });

  test("threshold strings: format, t ≤ n, t > n/2, n within 3–7 and not below the member count", () => {
    const cases: [string, RegExp][] = [
      ["5of7", /expected a threshold like "5-of-7" \(t-of-n\), found "5of7"/],
      ["8-of-7", /expected t ≤ n in "8-of-7", found t = 8 > n = 7/],
      ["3-of-7", /expected t > n\/2 in "3-of-7".*use at least 4-of-7/],
      ["5-of-9", /expected n between 3 and 7 .*found n = 9/],
      ["2-of-2", /expected n between 3 and 7/],
    ];
    for (const [threshold, message] of cases) {
      const doc = baseDoc();
      doc.organisms.unseal.threshold = threshold;
      expectProblem(doc, "organisms.unseal.threshold", message);
    }
    const doc = baseDoc();
    doc.hosts.push({ ssh: "ubuntu@tdx-04.acme.com", tdx: true, roles: ["unseal-member"] });
    expectProblem(doc, "organisms.unseal.threshold", /expected n to be at least the number of unseal-member processes .*n = 3 with 4/);
  });

  test("auction_window_ms must be a positive integer below the slot duration", () => {
    const cases: [unknown, RegExp][] = [
      [0, /expected at least 1, found number 0/],
      [-5, /expected at least 1, found number -5/],
      [1.5, /expected an integer, found number 1.5/],
      ["800ms", /expected an integer, found string "800ms"/],
      [12_000, /expected less than the slot duration \(12000 ms\), found 12000/],
    ];
    for (const [value, message] of cases) {
      const doc = baseDoc();
      doc.organisms.offer.auction_window_ms = value;
      expectProblem(doc, "organisms.offer.auction_window_ms", message);
    }
  });

  test("config rules beyond the schema are reported at the manifest key", () => {
    const doc = baseDoc();
    doc.organisms.zipnet.window = [1000, 2, 64, 1200, 900];
    doc.organisms.relay.proposer_endpoints = ["https://relay-a.example", "https://relay-a.example"];
    doc.organisms.unseal.mrtd_acl = ["aa".repeat(48), "aa".repeat(48)];
    const problems = expectProblem(doc, "organisms.zipnet.window", /foldDeadlineMs: expected less than roundDeadlineMs \(900\), found 1200/);
    assert.ok(problems.some((p) => p.key === "organisms.relay.proposer_endpoints" && /distinct/.test(p.message)));
    assert.ok(problems.some((p) => p.key === "organisms.unseal.mrtd_acl[1]" && /duplicate entry/.test(p.message)));
  });

  test("a short slot makes the default auction window too long", () => {
    const doc = baseDoc();
    doc.lattice.slot_duration_ms = 500;
    delete doc.organisms.offer;
    expectProblem(doc, "organisms.offer.auction_window_ms", /expected less than the slot duration \(500 ms\), found 800 \(the default/);
  });

  test("relay policy must be in its enum", () => {
    const doc = baseDoc();
    doc.organisms.relay.policy = "l3-magic";
    expectProblem(doc, "organisms.relay.policy", /expected one of "l1-mev-boost", "l2-sequencer", "l2-leader-rotation", found string "l3-magic"/);
  });

  test("the settlement address must be EIP-55 checksummed", () => {
    const cases: [string, RegExp][] = [
      [ADDR.toLowerCase(), /without a checksum.*write it as 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed/],
      ["0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", /checksum does not match: the address is probably mistyped/],
      ["0x1234...", /expected a 0x-prefixed 20-byte address \(42 characters\), found "0x1234..."/],
    ];
    for (const [addr, message] of cases) {
      const doc = baseDoc();
      doc.organisms.tally.settlement_addr = addr;
      const problems = expectProblem(doc, "organisms.tally.settlement_addr", message);
      // The wrong-checksum message must not hand out a "fixed" address: that would bless the typo.
      if (addr.startsWith("0x5AA")) assert.ok(!problems.some((p) => p.message.includes(ADDR)));
    }
  });

  test("unknown keys are errors, at every level, listing what is allowed", () => {
    const doc = baseDoc();
    doc.extra = 1;
    doc.lattice.chainid = 1;
    doc.organisms.unseal.treshold = "2-of-3";
    doc.organisms.sequencer = { url: "x" };
    doc.hosts[0].tdx_enabled = true;
    const problems = problemsOf(stringify(doc));
    const keys = problems.map((p) => p.key);
    for (const k of ["extra", "lattice.chainid", "organisms.unseal.treshold", "organisms.sequencer", "hosts[0].tdx_enabled"]) assert.ok(keys.includes(k), `missing ${k} in ${keys.join(", ")}`);
    assert.match(problems.find((p) => p.key === "organisms.unseal.treshold")!.message, /unknown key "treshold" in \[organisms.unseal\]; expected one of: threshold, dkg_epoch_slots, mrtd_acl/);
    assert.match(problems.find((p) => p.key === "hosts[0].tdx_enabled")!.message, /expected one of: ssh, local, name, tdx, roles/);
  });

  test("a host needs exactly one of ssh and local, each ssh target once, each role once", () => {
    const doc = baseDoc();
    doc.hosts[6] = { ssh: "ubuntu@agg-01.acme.com", local: true, roles: ["zipnet-aggregator"] };
    doc.hosts.push({ tdx: true, roles: ["unseal-member"] });
    doc.hosts[4].ssh = doc.hosts[3].ssh;
    doc.hosts[5].roles = ["zipnet-server", "offer-member", "relay-member", "tally-member", "tally-member"];
    const problems = expectProblem(doc, "hosts[6]", /found both/);
    assert.ok(problems.some((p) => p.key === "hosts[7]" && /found neither/.test(p.message)));
    assert.ok(problems.some((p) => p.key === "hosts[4].ssh" && /again after hosts\[3\]/.test(p.message)));
    assert.ok(problems.some((p) => p.key === "hosts[5].roles[4]" && /at most once per host/.test(p.message)));
  });

  test("missing required tables and keys", () => {
    const doc = baseDoc();
    delete doc.organisms.tally;
    delete doc.lattice.chain_id;
    doc.organisms.relay.proposer_endpoints = [];
    const problems = expectProblem(doc, "organisms.tally", /expected an \[organisms.tally\] table with settlement_addr/);
    assert.ok(problems.some((p) => p.key === "lattice.chain_id" && /found nothing \(the key is missing\)/.test(p.message)));
    assert.ok(problems.some((p) => p.key === "organisms.relay.proposer_endpoints" && /expected at least 1 entry/.test(p.message)));
  });

  test("TOML syntax errors name the line and column", () => {
    assert.throws(
      () => parseManifest('[lattice]\nname = "x"\nchain_id = = 1\n', { path: FILE }),
      (e: unknown) => e instanceof ManifestError && e.code === "MANIFEST_SYNTAX" && e.problems[0]!.path === FILE && /expected valid TOML at line 3, column \d+/.test(e.problems[0]!.message),
    );
  });

  test("oversize manifests are refused before parsing", () => {
    assert.throws(
      () => parseManifest(`# ${"x".repeat(300 * 1024)}\n`, { path: FILE }),
      (e: unknown) => e instanceof ManifestError && /expected a manifest of at most 262144 bytes/.test(e.problems[0]!.message),
    );
  });
});

describe("manifest: one run reports every problem", () => {
  test("a manifest with five unrelated mistakes gets all five", () => {
    const doc = baseDoc();
    doc.lattice.name = "acme mainnet";
    doc.organisms.unseal.threshold = "1-of-3";
    doc.organisms.relay.policy = "mev";
    delete doc.hosts[2].tdx;
    doc.hosts.push({ ssh: "ubuntu@agg-02.acme.com", roles: ["zipnet-aggregator"] });
    const problems = problemsOf(stringify(doc));
    assert.deepEqual(
      problems.map((p) => p.key).sort(),
      ["hosts[2].tdx", "hosts[7].roles[0]", "lattice.name", "organisms.relay.policy", "organisms.unseal.threshold"],
    );
  });
});

describe("manifest: the operator's view", () => {
  test("the full error text, pinned", () => {
    const doc = baseDoc();
    doc.organisms.unseal.threshold = "1-of-3";
    delete doc.hosts[2].tdx;
    assert.throws(
      () => parseManifest(stringify(doc), { path: FILE }),
      (e: unknown) => {
        assert.ok(e instanceof ManifestError);
        assert.equal(
          e.message,
          `${FILE}: 2 problems in the lattice manifest:\n` +
            '  - organisms.unseal.threshold: expected t > n/2 in "1-of-3" (a minority must not unseal), found t = 1 with n = 3; use at least 2-of-3\n' +
            "  - hosts[2].tdx: expected tdx = true because this host runs unseal-member and atelier-member (TDX required; the tool fails closed), found no tdx key; set tdx = true on a TDX host, or insecure_dev = true in [lattice] for a devnet",
        );
        return true;
      },
    );
  });
});

describe("manifest: hostile input", () => {
  const junk = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant([]), fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 2 }));
  const paths: string[][] = [
    ["lattice"], ["lattice", "name"], ["lattice", "chain_id"], ["lattice", "insecure_dev"], ["lattice", "slot_duration_ms"],
    ["organisms"], ["organisms", "unseal"], ["organisms", "unseal", "threshold"], ["organisms", "zipnet", "window"],
    ["organisms", "offer", "auction_window_ms"], ["organisms", "offer", "threshold"], ["organisms", "relay"], ["organisms", "tally", "settlement_addr"],
    ["hosts"], ["hosts", "0"], ["hosts", "0", "roles"], ["hosts", "3", "ssh"], ["hosts", "1", "tdx"], ["hosts", "6", "local"],
  ];

  test("any value at any key yields a Manifest or a ManifestError naming that file, never a crash", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), junk), { minLength: 1, maxLength: 3 }), (edits) => {
        const doc = baseDoc();
        for (const [path, value] of edits) {
          let cur: any = doc;
          for (const seg of path.slice(0, -1)) cur = typeof cur?.[seg] === "object" && cur[seg] !== null ? cur[seg] : undefined;
          if (cur !== undefined) cur[path[path.length - 1]!] = value;
        }
        let text: string;
        try {
          text = stringify(doc);
        } catch {
          return; // not representable as TOML (e.g. a non-table at the root)
        }
        try {
          const m = parseManifest(text, { path: FILE });
          // A manifest that validates always converts: every config rule has a manifest-level check.
          manifestToLatticeConfig(m);
        } catch (e) {
          assert.ok(e instanceof ManifestError, `unexpected ${String(e)}`);
          if (e instanceof ManifestError) assert.ok(e.problems.length > 0 && e.problems.every((p) => p.path === FILE));
        }
      }),
      { numRuns: 500 },
    );
  });
});
