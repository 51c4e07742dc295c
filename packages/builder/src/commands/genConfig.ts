import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import {
  LATTICE_CONFIG_DEFAULTS,
  type LatticeConfig,
  type LatticeConfigInput,
  ORGANISMS,
  assembleLatticeConfig,
  groupId,
  idToHex,
  latticeConfigToHex,
  latticeId,
} from "@builder/lattice-config";
import { type CommandSpec, type FlagValues, booleanFlag, stringFlag, stringListFlag } from "../cli/command.js";
import { CliError } from "../cli/errors.js";

/**
 * Images larger than this are not TDX guest images; the cap keeps a mistyped
 * path (a disk device, a huge archive) from being hashed for minutes.
 */
export const ATELIER_IMAGE_MAX_BYTES = 8 * 1024 * 1024 * 1024;

/**
 * The development measurement of an atelier image: sha384 of the file's
 * bytes (48 bytes, the size of a TDX MR_TD). A real MR_TD is computed by the
 * TDX build over the TD's initial memory (firmware, kernel, initramfs) and is
 * published from that build (seed quickstart, step 4); pass that one as the
 * ACL in production.
 */
export async function devImageMeasurement(path: string): Promise<Uint8Array> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new CliError("CLI_BAD_FLAG_VALUE", `builder gen-config: --atelier-image '${path}' is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError("CLI_BAD_FLAG_VALUE", `builder gen-config: --atelier-image '${path}' cannot be read (${(e as { code?: string }).code ?? String(e)})`);
  }
  if (size > ATELIER_IMAGE_MAX_BYTES) throw new CliError("CLI_BAD_FLAG_VALUE", `builder gen-config: --atelier-image '${path}' is ${size} bytes; limit ${ATELIER_IMAGE_MAX_BYTES}`);
  // Streamed: TD images run to gigabytes.
  const hash = createHash("sha384");
  await pipeline(createReadStream(path), hash);
  return new Uint8Array(hash.digest());
}

function integerFlag(flags: FlagValues, name: string): number | undefined {
  const v = stringFlag(flags, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v))) {
    throw new CliError("CLI_BAD_FLAG_VALUE", `builder gen-config: --${name} is '${v}'; expected a non-negative whole number`);
  }
  return Number(v);
}

/**
 * The flags as assembleLatticeConfig input: flags not given are left out so
 * the library's documented defaults (LATTICE_CONFIG_DEFAULTS) apply.
 */
export function genConfigInput(flags: FlagValues, atelierImageMrtd?: Uint8Array): LatticeConfigInput {
  const input: LatticeConfigInput = {
    instance: stringFlag(flags, "instance") ?? "",
    chainId: stringFlag(flags, "chain-id") ?? "",
    tallySettlementAddr: stringFlag(flags, "tally-settlement-addr") ?? "",
  };
  const zipnetWindow = stringFlag(flags, "zipnet-window");
  if (zipnetWindow !== undefined) input.zipnetWindow = zipnetWindow;
  const unsealThreshold = stringFlag(flags, "unseal-threshold");
  if (unsealThreshold !== undefined) input.unsealThreshold = unsealThreshold;
  const offerWindow = stringFlag(flags, "offer-window");
  if (offerWindow !== undefined) input.offerWindow = offerWindow;
  const relayPolicy = stringFlag(flags, "relay-policy");
  if (relayPolicy !== undefined) input.relayPolicy = relayPolicy;
  const endpoints = stringListFlag(flags, "proposer-endpoint");
  if (endpoints.length > 0) input.proposerEndpoints = endpoints;
  const chainRpc = stringFlag(flags, "chain-rpc");
  if (chainRpc !== undefined) input.chainRpc = chainRpc;
  const slotDurationMs = integerFlag(flags, "slot-duration-ms");
  if (slotDurationMs !== undefined) input.slotDurationMs = slotDurationMs;
  const genesis = integerFlag(flags, "genesis-unix-ms");
  if (genesis !== undefined) input.slotGenesisUnixMs = genesis;
  if (booleanFlag(flags, "insecure-dev")) input.insecureDev = true;
  if (atelierImageMrtd !== undefined) input.atelierImageMrtd = atelierImageMrtd;
  return input;
}

/** The human summary for stderr (stdout carries only the hex). */
export function configSummary(cfg: LatticeConfig, hexLength: number): string {
  const rows: [string, string][] = [
    ["lattice", cfg.name],
    ["chain_id", cfg.chainId.toString(10)],
    ["lattice_id", idToHex(latticeId(cfg))],
    ...ORGANISMS.map((o): [string, string] => [`${o}_group`, idToHex(groupId(cfg, o))]),
  ];
  if (cfg.atelier.imageMrtd !== undefined) rows.push(["atelier_mrtd", `${Buffer.from(cfg.atelier.imageMrtd).toString("hex")} (dev measurement: sha384 of the image file)`]);
  if (cfg.insecureDev) rows.push(["insecure_dev", "true (development TDX attestation accepted; never for production)"]);
  rows.push(["LatticeConfig", `${hexLength} hex characters on stdout`]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}
`).join("");
}

const D = LATTICE_CONFIG_DEFAULTS;

export const genConfigCommand: CommandSpec = {
  name: "gen-config",
  summary: "Assemble the LatticeConfig and print its hex (LATTICE_CONFIG_HEX)",
  description: [
    "Builds the LatticeConfig from the flags (defaults below for what is not given) and",
    "prints its canonical encoding as hex on stdout, followed by a newline, so the",
    "output can be redirected into a file and used as LATTICE_CONFIG_HEX. A summary",
    "(lattice id, every organism's group id) goes to stderr.",
    "",
    "--atelier-image records sha384 of the image file as the atelier MR_TD: a",
    "development measurement. The production MR_TD comes from the TDX build",
    "(target/release/tdx-artifacts/atelier/mrtd.hex in the seed runbook).",
  ].join("\n"),
  flags: {
    instance: { type: "string", valueName: "NAME", required: true, description: "Instance name (LATTICE_INSTANCE), e.g. acme.ethereum.mainnet" },
    "chain-id": { type: "string", valueName: "ID", required: true, description: "EVM chain id (decimal)" },
    "zipnet-window": { type: "string", valueName: "WINDOW", defaultText: D.zipnetWindow, description: "interactive | archival | period,min,max,fold,deadline (ms)" },
    "unseal-threshold": { type: "string", valueName: "T-of-N", defaultText: D.unsealThreshold, description: "Unseal committee threshold" },
    "offer-window": { type: "string", valueName: "DURATION", defaultText: `${D.offerWindowMs}ms`, description: "Sealed-bid auction window, e.g. 800ms or 1.5s" },
    "atelier-image": { type: "string", valueName: "FILE", description: "Atelier TDX image; sha384 of it is recorded as the (dev) MR_TD" },
    "relay-policy": { type: "string", valueName: "POLICY", defaultText: D.relayPolicy, description: "l1-mev-boost | l2-sequencer | l2-leader-rotation" },
    "tally-settlement-addr": { type: "string", valueName: "ADDRESS", required: true, description: "Settlement contract address (EIP-55 checksummed)" },
    "proposer-endpoint": { type: "string", valueName: "URL", multiple: true, description: "MEV-Boost relay / sequencer endpoint the relay committee submits to" },
    "chain-rpc": { type: "string", valueName: "URL", defaultText: "not pinned", description: "Chain RPC for atelier simulation and tally's inclusion watcher" },
    "slot-duration-ms": { type: "string", valueName: "MS", defaultText: String(D.slotDurationMs), description: "Slot length" },
    "genesis-unix-ms": { type: "string", valueName: "MS", defaultText: "the chain's beacon genesis for chain ids 1, 11155111, 17000; else 0", description: "Unix time of slot 0" },
    "insecure-dev": { type: "boolean", description: "Accept development TDX attestation (devnet only)" },
  },
  examples: [
    {
      description: "The seed quickstart's step 3",
      command:
        "builder gen-config --instance acme.ethereum.mainnet --chain-id 1 --zipnet-window interactive --unseal-threshold 5-of-7 --offer-window 800ms --atelier-image ./atelier.tdx.img --relay-policy l1-mev-boost --tally-settlement-addr 0x5FbDB2315678afecb367f032d93F642f64180aa3 > secrets/acme.ethereum.mainnet.lattice-config.hex",
    },
    {
      description: "A devnet lattice on a local anvil with 2 s slots",
      command: "builder gen-config --instance dev.local --chain-id 31337 --chain-rpc http://127.0.0.1:8545 --slot-duration-ms 2000 --genesis-unix-ms 1700000000000 --proposer-endpoint http://127.0.0.1:18550 --tally-settlement-addr 0x5FbDB2315678afecb367f032d93F642f64180aa3 --insecure-dev",
    },
  ],
  async run(flags, io) {
    const image = stringFlag(flags, "atelier-image");
    const mrtd = image === undefined ? undefined : await devImageMeasurement(image);
    const cfg = assembleLatticeConfig(genConfigInput(flags, mrtd));
    const hex = latticeConfigToHex(cfg);
    io.stdout(`${hex}\n`);
    io.stderr(configSummary(cfg, hex.length));
    return 0;
  },
};
