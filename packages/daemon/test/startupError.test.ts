import { test } from "node:test";
import assert from "node:assert/strict";
import { LatticeConfigError, RoleEnvError } from "@builder/lattice-config";
import { DaemonError } from "../src/errors.js";
import { errorSummary, startupErrorLine, startupExitCode } from "../src/startupError.js";

test("startup errors render as one line with their code and pick the exit code", () => {
  const cases: [unknown, string, number][] = [
    [new DaemonError("DAEMON_SECRET_PERMISSIONS", "X: permissions 0644 for '/x' are too open; run chmod 0400 /x"), "r: DAEMON_SECRET_PERMISSIONS: X: permissions 0644 for '/x' are too open; run chmod 0400 /x", 2],
    [new DaemonError("DAEMON_LISTEN_FAILED", "cannot listen"), "r: DAEMON_LISTEN_FAILED: cannot listen", 1],
    [new RoleEnvError("r", [{ variable: "A", message: "required but not set" }, { variable: "B", message: "bad" }]), 'r: LATTICE_ENV_INVALID: environment for role "r" has 2 problem(s): A: required but not set; B: bad', 2],
    [new LatticeConfigError("LATTICE_CONFIG_TRAILING_BYTES", "3 trailing bytes"), "r: LATTICE_CONFIG_TRAILING_BYTES: 3 trailing bytes", 2],
    [Object.assign(new Error("found 1 server peer id but the config pins 3"), { code: "ZIPNET_ROLE_CONFIG" }), "r: ZIPNET_ROLE_CONFIG: found 1 server peer id but the config pins 3", 2],
    [Object.assign(new Error("dial failed"), { code: "ZIPNET_CONFIGURED_PEER_DOWN" }), "r: ZIPNET_CONFIGURED_PEER_DOWN: dial failed", 1],
    [new Error("first\nsecond"), "r: first; second", 1],
    ["a string", "r: a string", 1],
  ];
  for (const [err, line, code] of cases) {
    assert.equal(startupErrorLine("r", err), line);
    assert.equal(startupExitCode(err), code, line);
    assert.ok(!errorSummary(err).includes("\n"));
  }
});
