// Runs every bench/src/*.bench.ts in its own process, one after another (two
// cores: benchmarks running side by side would measure each other). A name
// filter narrows the run: `pnpm bench raft`.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const dir = join(fileURLToPath(new URL(".", import.meta.url)), "src");
const filter = process.argv[2];
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${JSON.stringify(filter)} in ${dir}`);
  process.exit(1);
}
let failed = 0;
for (const [i, f] of files.entries()) {
  console.log(`\n[${i + 1}/${files.length}] ${f}`);
  const r = spawnSync(
    process.execPath,
    ["--conditions=source", "--import", "tsx", "--import", "@builder/polyfill", join(dir, f)],
    { stdio: "inherit" },
  );
  if (r.status !== 0) {
    failed++;
    console.error(`${f} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed ? 1 : 0);
