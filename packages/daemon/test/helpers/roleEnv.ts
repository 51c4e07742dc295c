import { join } from "node:path";
import { type LatticeConfigInput, type RoleName, assembleLatticeConfig, latticeConfigToHex, roleOrganism } from "@builder/lattice-config";
import { writeSecretFile } from "../../src/secretFile.js";
import { scratchDir } from "./scratchDir.js";

export const CONFIG_INPUT: LatticeConfigInput = {
  instance: "acme.ethereum.mainnet",
  chainId: 1,
  chainRpc: "http://127.0.0.1:8545",
  tallySettlementAddr: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  slotGenesisUnixMs: 1_700_000_000_000,
  slotDurationMs: 2_000,
};

/** A complete, valid environment for `role` with real 0400 secret files in a fresh temp dir. */
export async function validRoleEnv(role: RoleName, overrides: Record<string, string | undefined> = {}): Promise<{ env: Record<string, string | undefined>; dir: string }> {
  const dir = await scratchDir(`daemon-env-${role}-`);
  const P = roleOrganism(role).toUpperCase();
  const secret = async (name: string): Promise<string> => {
    const path = join(dir, name);
    await writeSecretFile(path, new Uint8Array(32).fill(name.length));
    return path;
  };
  const env: Record<string, string | undefined> = {
    LATTICE_INSTANCE: "acme.ethereum.mainnet",
    LATTICE_CHAIN_ID: "1",
    LATTICE_CONFIG_HEX: latticeConfigToHex(assembleLatticeConfig(CONFIG_INPUT)),
    LATTICE_MEMBER: "member-01",
    LATTICE_DATA_DIR: join(dir, "data", "nested"),
    PROMETHEUS_ADDR: "127.0.0.1:0",
    LOG_LEVEL: "info",
    [`${P}_COMMITTEE_SECRET_FILE`]: await secret("committee.secret"),
    [`${P}_SECRET_FILE`]: await secret("peer.secret"),
  };
  // Not secrets: the operator's public ticket key and the aggregator's ticket (paths are only validated here).
  if (P === "ZIPNET") env["LATTICE_OPERATOR_PUBLIC_KEY_FILE"] = join(dir, "operator.pub.pem");
  if (role === "zipnet-aggregator") env["LATTICE_READ_TICKET_FILE"] = join(dir, "aggregator.ticket");
  if (role === "atelier-member") env["ATELIER_BLS_SECRET_FILE"] = await secret("bls.secret");
  if (role === "relay-member") env["RELAY_BLS_SECRET_FILE"] = await secret("builder-bls.secret");
  if (role === "tally-member") env["TALLY_ECDSA_SECRET_FILE"] = await secret("ecdsa.secret");
  return { env: { ...env, ...overrides }, dir };
}
