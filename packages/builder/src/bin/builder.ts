#!/usr/bin/env node
import "@builder/polyfill";
import { builderProgram } from "../program.js";
import { runCli } from "../cli/run.js";

const code = await runCli(builderProgram, process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
process.exitCode = code;
