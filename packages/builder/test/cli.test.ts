import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CliIO } from "../src/cli/command.js";
import { runCli } from "../src/cli/run.js";
import { closest, editDistance } from "../src/cli/suggest.js";
import { builderProgram } from "../src/program.js";

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t) };
  const code = await runCli(builderProgram, argv, io);
  return { code, out, err };
}

describe("builder CLI", () => {
  test("builder --help lists every command with its summary", async () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      const r = await run(...argv);
      assert.equal(r.code, 0);
      assert.equal(r.err, "");
      assert.ok(r.out.startsWith("builder — "));
      for (const c of builderProgram.commands) assert.ok(r.out.includes(`  ${c.name}`) && r.out.includes(c.summary), c.name);
    }
  });

  test("bare builder shows the help on stdout and exits 2", async () => {
    const r = await run();
    assert.equal(r.code, 2);
    assert.match(r.out, /Usage: builder <command>/);
  });

  test("--help on every command shows usage, every flag with its value name and default, and the examples", async () => {
    for (const cmd of builderProgram.commands) {
      for (const argv of [[cmd.name, "--help"], [cmd.name, "-h"], ["help", cmd.name]]) {
        const r = await run(...argv);
        assert.equal(r.code, 0, argv.join(" "));
        assert.ok(r.out.startsWith(`builder ${cmd.name} — ${cmd.summary}\n`));
        assert.ok(r.out.includes(`Usage: builder ${cmd.name} [flags]`));
        for (const [name, spec] of Object.entries(cmd.flags)) {
          assert.ok(r.out.includes(spec.type === "string" ? `--${name} ${spec.valueName}` : `--${name}`), `${cmd.name} --${name}`);
          if (spec.type === "string" && spec.defaultText !== undefined) assert.ok(r.out.includes(`default: ${spec.defaultText}`), `${cmd.name} --${name} default`);
        }
        for (const ex of cmd.examples) assert.ok(r.out.includes(ex.command));
      }
    }
  });

  test("gen-config help pins its defaults (user-facing text)", async () => {
    const r = await run("gen-config", "--help");
    assert.ok(r.out.includes("--zipnet-window WINDOW            interactive | archival | period,min,max,fold,deadline (ms) (default: interactive)"), r.out);
    assert.ok(r.out.includes("--unseal-threshold T-of-N         Unseal committee threshold (default: 2-of-3)"));
    assert.ok(r.out.includes("--offer-window DURATION           Sealed-bid auction window, e.g. 800ms or 1.5s (default: 800ms)"));
    assert.ok(r.out.includes("--proposer-endpoint URL           MEV-Boost relay / sequencer endpoint the relay committee submits to (repeatable)"));
  });

  test("an unknown command is one line suggesting the closest, exit 2", async () => {
    const cases: [string[], string][] = [
      [["gen-secrets"], "builder: unknown command 'gen-secrets'; did you mean 'gen-secret'? (see builder --help)\n"],
      [["genconfig"], "builder: unknown command 'genconfig'; did you mean 'gen-config'? (see builder --help)\n"],
      [["frobnicate"], "builder: unknown command 'frobnicate' (see builder --help)\n"],
      [["help", "gen-secert"], "builder: unknown command 'gen-secert'; did you mean 'gen-secret'? (see builder --help)\n"],
    ];
    for (const [argv, expected] of cases) {
      const r = await run(...argv);
      assert.equal(r.code, 2, argv.join(" "));
      assert.equal(r.out, "");
      assert.equal(r.err, expected);
    }
  });

  test("flag mistakes are one line with the fix, exit 2", async () => {
    const cases: [string[], string][] = [
      [["gen-secret", "--outt", "x"], "builder gen-secret: unknown flag --outt; did you mean --out? (see builder gen-secret --help)\n"],
      [["gen-config", "--chain", "1"], "builder gen-config: unknown flag --chain; did you mean --chain-id? (see builder gen-config --help)\n"],
      [["gen-secret", "--force=yes", "--out", "x"], "builder gen-secret: --force is a switch and takes no value (got 'yes') (see builder gen-secret --help)\n"],
      [["gen-secret", "--out"], "builder gen-secret: --out needs a value: --out FILE (see builder gen-secret --help)\n"],
      [["gen-secret", "extra"], "builder gen-secret: unexpected argument 'extra'; this command takes only flags (see builder gen-secret --help)\n"],
      [["gen-secret", "--force"], "builder gen-secret: --force only applies with --out FILE (see builder gen-secret --help)\n"],
      [["gen-config", "--instance", "a"], "builder gen-config: missing required flags --chain-id, --tally-settlement-addr (see builder gen-config --help)\n"],
      [["gen-config", "--instance", "a", "--instance", "b", "--chain-id", "1", "--tally-settlement-addr", "0x"], "builder gen-config: --instance given twice (see builder gen-config --help)\n"],
    ];
    for (const [argv, expected] of cases) {
      const r = await run(...argv);
      assert.equal(r.err, expected, argv.join(" "));
      assert.equal(r.code, 2, argv.join(" "));
    }
  });

  test("bad config values are reported by the library as one line, exit 2", async () => {
    const r = await run("gen-config", "--instance", "acme.x", "--chain-id", "1", "--unseal-threshold", "2-of-7", "--tally-settlement-addr", "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    assert.equal(r.code, 2);
    assert.equal(r.out, "");
    assert.equal(r.err.split("\n").length, 2, "one line");
    assert.match(r.err, /^builder gen-config: LATTICE_CONFIG_BAD_OPTION: .*unsealThreshold: expected t > n\/2/);
  });
});

describe("suggestions", () => {
  test("edit distance counts swaps as one edit", () => {
    assert.equal(editDistance("gen-secert", "gen-secret"), 1);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("kitten", "sitting"), 3);
  });

  test("closest picks typos and prefixes but not unrelated words", () => {
    const cmds = ["gen-secret", "gen-config"];
    assert.equal(closest("gen-secrte", cmds), "gen-secret");
    assert.equal(closest("gen-c", cmds), "gen-config");
    assert.equal(closest("lattice", cmds), undefined);
  });
});
