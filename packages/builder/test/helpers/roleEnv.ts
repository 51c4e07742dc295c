import { promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSecretFile } from "@builder/daemon";
import { type LatticeConfigInput, type RoleName, assembleLatticeConfig, latticeConfigToHex, roleOrganism } from "@builder/lattice-config";

export const CONFIG_INPUT: LatticeConfigInput = {
  instance: "acme.ethereum.mainnet",
  chainId: 1,
  chainRpc: "http://127.0.0.1:8545",
  tallySettlementAddr: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};

/** A complete environment for `role` with real 0400 secret files written by the daemon's writer. */
export async function roleEnv(role: RoleName, overrides: Record<string, string | undefined> = {}): Promise<Record<string, string | undefined>> {
  const dir = await fs.mkdtemp(join(tmpdir(), `builder-${role}-`));
  const P = roleOrganism(role).toUpperCase();
  const secret = async (name: string): Promise<string> => {
    const path = join(dir, name);
    await writeSecretFile(path, crypto.getRandomValues(new Uint8Array(32)));
    return path;
  };
  const env: Record<string, string | undefined> = {
    LATTICE_INSTANCE: "acme.ethereum.mainnet",
    LATTICE_CHAIN_ID: "1",
    LATTICE_CONFIG_HEX: latticeConfigToHex(assembleLatticeConfig(CONFIG_INPUT)),
    LATTICE_MEMBER: "member-01",
    LATTICE_DATA_DIR: join(dir, "data"),
    PROMETHEUS_ADDR: "127.0.0.1:0",
    [`${P}_COMMITTEE_SECRET_FILE`]: await secret(`${P}.committee.secret`),
    [`${P}_SECRET_FILE`]: await secret(`${P}.peer`),
  };
  if (role === "atelier-member") env["ATELIER_BLS_SECRET_FILE"] = await secret("atelier.bls");
  if (role === "relay-member") env["RELAY_BLS_SECRET_FILE"] = await secret("relay.bls");
  if (role === "tally-member") env["TALLY_ECDSA_SECRET_FILE"] = await secret("tally.ecdsa");
  return { ...env, ...overrides };
}
