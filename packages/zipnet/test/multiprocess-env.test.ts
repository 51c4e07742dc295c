// The executables refuse an incomplete zipnet environment with one line
// naming the variable and the fix, and a non-zero exit (no stack).
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { ZIPNET_EXTRA_ENV } from "../src/index.js";
import { testLattice } from "./fixtures/lattice.js";
import { prepareProcessLattice, RoleProcess } from "./fixtures/processes.js";

test("zipnet-server without the operator key, and with a wrong member count; aggregator without its ticket", { timeout: 90_000 }, async () => {
  const pl = await prepareProcessLattice(testLattice(undefined, "env-errors"));
  try {
    const { [ZIPNET_EXTRA_ENV.operatorKey]: _k, ...noKey } = pl.servers[0]!.env;
    const cases: [RoleProcess, RegExp][] = [
      [new RoleProcess("zipnet-server", "no-key", noKey), /^zipnet-server: DAEMON_ENV_INVALID: environment for zipnet-server has 1 problem: LATTICE_OPERATOR_PUBLIC_KEY_FILE: required but not set$/],
      [
        new RoleProcess("zipnet-server", "lonely", { ...pl.servers[0]!.env, LATTICE_BOOTSTRAP: "" }),
        /^zipnet-server: ZIPNET_ROLE_CONFIG: zipnet-server: found 1 server peer ids .* but the config pins 3; set ZIPNET_MEMBERS/,
      ],
      [
        new RoleProcess("zipnet-aggregator", "no-ticket", Object.fromEntries(Object.entries(pl.aggregator.env).filter(([k]) => k !== ZIPNET_EXTRA_ENV.readTicket))),
        /^zipnet-aggregator: DAEMON_ENV_INVALID: environment for zipnet-aggregator has 1 problem: LATTICE_READ_TICKET_FILE: required but not set$/,
      ],
    ];
    for (const [p] of cases) p.start();
    for (const [p, line] of cases) {
      const code = await p.exited();
      // Configuration errors exit 2 (ADR 0004), so Restart=on-failure loops are told apart from crashes.
      assert.equal(code, 2, `${p.name} exit code`);
      assert.equal(p.stderr.length, 1, `${p.name}: one stderr line, got ${JSON.stringify(p.stderr)}`);
      assert.match(p.stderr[0]!, line);
    }
  } finally {
    await rm(pl.dir, { recursive: true, force: true });
  }
});
