import { join } from "node:path";
import { type LatticeConfigInput, type RoleName, assembleLatticeConfig } from "@builder/lattice-config";
import { ensureSecrets, roleEnvFor } from "../../src/index.js";
// The daemon package's helper: one place that cleans up test scratch directories.
import { scratchDir } from "../../../daemon/test/helpers/scratchDir.js";

export const CONFIG_INPUT: LatticeConfigInput = {
  instance: "acme.ethereum.mainnet",
  chainId: 1,
  chainRpc: "http://127.0.0.1:8545",
  tallySettlementAddr: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};

/** A complete environment for `role` with real 0400 secret files, as `lattice up` generates them. */
export async function roleEnv(role: RoleName, overrides: Record<string, string | undefined> = {}): Promise<Record<string, string | undefined>> {
  const dir = await scratchDir(`builder-${role}-`);
  const config = assembleLatticeConfig(CONFIG_INPUT);
  const { env: secrets } = await ensureSecrets(dir, config.name, role, "member-01");
  const env = roleEnvFor({ config, role, member: "member-01", secrets, dataDir: join(dir, "data"), prometheusAddr: "127.0.0.1:0" });
  return { ...env, ...overrides };
}
