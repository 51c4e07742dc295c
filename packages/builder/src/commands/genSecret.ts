import { randomBytes } from "node:crypto";
import { writeSecretFile } from "@builder/daemon";
import { type CommandSpec, booleanFlag, stringFlag } from "../cli/command.js";
import { CliError } from "../cli/errors.js";

/** Every secret the lattice uses (committee admission, peer identity, BLS, ECDSA seeds) is 32 bytes. */
export const SECRET_BYTES = 32;

export const genSecretCommand: CommandSpec = {
  name: "gen-secret",
  summary: "Generate a 32-byte random secret as hex",
  description: [
    "Prints 32 bytes from the OS CSPRNG as 64 hex characters, or with --out writes",
    "them to FILE with mode 0400 (the daemons refuse secret files readable by group",
    "or others). The file is written to a temporary name and moved into place, so it",
    "is never seen half-written; an existing FILE is kept unless --force is given.",
  ].join("\n"),
  flags: {
    out: { type: "string", valueName: "FILE", description: "Write the secret to FILE (mode 0400) instead of stdout" },
    force: { type: "boolean", description: "With --out, replace FILE if it exists (the old secret is lost)" },
  },
  examples: [
    { description: "One committee-admission secret per organism (seed quickstart, step 2)", command: "builder gen-secret --out secrets/acme.ethereum.mainnet.atelier.secret" },
    { description: "A member's peer identity secret", command: "builder gen-secret --out /etc/builder/secrets/acme.ethereum.mainnet.atelier.member-01.peer" },
    { description: "Print to stdout (for a secret manager that reads a pipe)", command: "builder gen-secret | vault kv put secret/atelier value=-" },
  ],
  async run(flags, io) {
    const out = stringFlag(flags, "out");
    const force = booleanFlag(flags, "force");
    if (out === undefined && force) throw new CliError("CLI_BAD_FLAG_VALUE", "builder gen-secret: --force only applies with --out FILE (see builder gen-secret --help)");
    const bytes = randomBytes(SECRET_BYTES);
    try {
      if (out === undefined) {
        io.stdout(`${bytes.toString("hex")}\n`);
        return 0;
      }
      const r = await writeSecretFile(out, bytes, { overwrite: force });
      io.stdout(`${r.overwritten ? "replaced" : "wrote"} ${out} (${SECRET_BYTES} random bytes as hex, mode 0400)\n`);
      return 0;
    } finally {
      bytes.fill(0);
    }
  },
};
