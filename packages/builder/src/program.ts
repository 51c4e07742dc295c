import type { Program } from "./cli/run.js";
import { genConfigCommand } from "./commands/genConfig.js";
import { genSecretCommand } from "./commands/genSecret.js";

/**
 * The `builder` commands. `lattice up|status|down|publish|add-host|rotate-peer`
 * arrive with the manifest deployer (DESIGN §6).
 */
export const builderProgram: Program = {
  name: "builder",
  summary: "operate a builder lattice: secrets, LatticeConfig, role processes",
  commands: [genSecretCommand, genConfigCommand],
};
