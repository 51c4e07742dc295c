/**
 * The operator manifest `lattice.toml` (seed quickstart): parsed with
 * smol-toml, checked structurally with zod (strict: unknown keys are errors)
 * and then against the role table. One run reports every problem.
 */
import { parse as parseToml, TomlError } from "smol-toml";
import { assembleLatticeConfig, LATTICE_CONFIG_DEFAULTS, parseThreshold, parseZipnetWindow, type LatticeConfigInput } from "./assemble.js";
import { LatticeConfigError, ManifestError, type ManifestProblem } from "./errors.js";
import { ManifestSchema, MAX_MANIFEST_BYTES, type RawManifest } from "./manifestSchema.js";
import { configProblemToManifest, crossChecks, dedupe, issueToProblems } from "./manifestProblems.js";
import { ROLE_NAMES, type RoleName } from "./organisms.js";
import type { BlockSchema, LatticeConfig, RelayPolicy, ZipnetWindow } from "./types.js";

export { MAX_MANIFEST_BYTES };

export type HostTarget = { kind: "ssh"; user: string; host: string; port?: number } | { kind: "local" };

export interface ManifestHost {
  /** Position in [[hosts]] (for messages and member names). */
  index: number;
  target: HostTarget;
  /** Optional member name; default `host-<index>`. */
  name: string;
  tdx: boolean;
  roles: RoleName[];
}

export interface Manifest {
  /** The file the manifest came from (used in every error). */
  path: string;
  lattice: { name: string; chainId: bigint; slotDurationMs?: number; genesisUnixMs?: number; insecureDev: boolean };
  organisms: {
    zipnet: { window: ZipnetWindow; initSalt?: string; maxEnvelopesPerClientPerSlot?: number };
    unseal: { t: number; n: number; dkgEpochSlots?: number; mrtdAcl: string[] };
    offer: { auctionWindowMs: number; threshold?: number; maxBidBytes?: number };
    atelier: { blockSchema: BlockSchema; chainRpc?: string; imageMrtd?: string; mrtdAcl: string[]; threshold?: number };
    relay: { policy: RelayPolicy; proposerEndpoints: string[] };
    tally: { settlementAddr: string; chainRpc?: string; confirmationDepth?: number; threshold?: number };
  };
  hosts: ManifestHost[];
  /** Processes per role across all hosts. */
  roleCounts: Record<RoleName, number>;
  /** Things that parse but deserve the operator's attention (e.g. fewer unseal members than t). */
  warnings: ManifestProblem[];
}


/**
 * Parses and validates a manifest. Throws ManifestError (MANIFEST_SYNTAX for
 * TOML errors, MANIFEST_INVALID otherwise) whose `problems` list every issue.
 */
export function parseManifest(text: string, options: { path: string }): Manifest {
  const file = options.path;
  const size = Buffer.byteLength(text, "utf8");
  if (size > MAX_MANIFEST_BYTES) {
    throw new ManifestError("MANIFEST_INVALID", file, [{ path: file, key: "", message: `expected a manifest of at most ${MAX_MANIFEST_BYTES} bytes, found ${size}` }]);
  }
  let raw: unknown;
  try {
    raw = parseToml(text, { integersAsBigInt: "asNeeded" });
  } catch (cause) {
    const where = cause instanceof TomlError ? ` at line ${cause.line}, column ${cause.column}` : "";
    const first = (cause as Error).message.split("\n")[0];
    throw new ManifestError("MANIFEST_SYNTAX", file, [{ path: file, key: "", message: `expected valid TOML${where}: ${first}` }], { cause });
  }
  const problems: ManifestProblem[] = [];
  const warnings: ManifestProblem[] = [];
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(...issueToProblems(file, raw, issue));
  crossChecks(file, raw, problems, warnings);
  if (problems.length > 0 || !parsed.success) {
    throw new ManifestError("MANIFEST_INVALID", file, dedupe(problems));
  }
  const manifest = toManifest(file, parsed.data, warnings);
  // Safety net: the config's own rules (e.g. window deadlines, distinct ACL entries)
  // run too, so a manifest that validates always converts.
  try {
    manifestToLatticeConfig(manifest);
  } catch (e) {
    if (!(e instanceof LatticeConfigError)) throw e;
    throw new ManifestError("MANIFEST_INVALID", file, dedupe(e.problems.map((p) => configProblemToManifest(file, p))), { cause: e });
  }
  return manifest;
}


function toManifest(file: string, m: RawManifest, warnings: ManifestProblem[]): Manifest {
  const roleCounts = Object.fromEntries(ROLE_NAMES.map((r) => [r, 0])) as Record<RoleName, number>;
  const hosts: ManifestHost[] = m.hosts.map((h, index) => {
    for (const r of h.roles) roleCounts[r]++;
    let target: HostTarget = { kind: "local" };
    if (h.ssh !== undefined) {
      const [user, rest] = h.ssh.split("@") as [string, string];
      const [host, port] = rest.split(":") as [string, string | undefined];
      target = port === undefined ? { kind: "ssh", user, host } : { kind: "ssh", user, host, port: Number(port) };
    }
    return { index, target, name: h.name ?? `host-${index}`, tdx: h.tdx ?? false, roles: [...h.roles] };
  });
  const o = m.organisms ?? {};
  const thr = o.unseal?.threshold === undefined ? undefined : parseThreshold(o.unseal.threshold);
  const unsealN = roleCounts["unseal-member"];
  const window = parseZipnetWindow(o.zipnet?.window ?? LATTICE_CONFIG_DEFAULTS.zipnetWindow);
  const lattice: Manifest["lattice"] = {
    name: m.lattice.name,
    chainId: BigInt(m.lattice.chain_id),
    insecureDev: m.lattice.insecure_dev ?? false,
  };
  if (m.lattice.slot_duration_ms !== undefined) lattice.slotDurationMs = m.lattice.slot_duration_ms;
  if (m.lattice.genesis_unix_ms !== undefined) lattice.genesisUnixMs = m.lattice.genesis_unix_ms;
  return {
    path: file,
    lattice,
    organisms: {
      zipnet: stripUndefined({ window: (window as { ok: true; value: ZipnetWindow }).value, initSalt: o.zipnet?.init_salt, maxEnvelopesPerClientPerSlot: o.zipnet?.max_envelopes_per_client_per_slot }),
      // Without a threshold string, n is the member count and t its majority.
      unseal: stripUndefined({ t: thr?.ok ? thr.value.t : Math.floor(unsealN / 2) + 1, n: thr?.ok ? thr.value.n : unsealN, dkgEpochSlots: o.unseal?.dkg_epoch_slots, mrtdAcl: o.unseal?.mrtd_acl ?? [] }),
      offer: stripUndefined({ auctionWindowMs: o.offer?.auction_window_ms ?? LATTICE_CONFIG_DEFAULTS.offerWindowMs, threshold: o.offer?.threshold, maxBidBytes: o.offer?.max_bid_bytes }),
      atelier: stripUndefined({ blockSchema: o.atelier?.block_schema ?? LATTICE_CONFIG_DEFAULTS.blockSchema, chainRpc: o.atelier?.chain_rpc, imageMrtd: o.atelier?.image_mrtd, mrtdAcl: o.atelier?.mrtd_acl ?? [], threshold: o.atelier?.threshold }),
      relay: { policy: o.relay?.policy ?? LATTICE_CONFIG_DEFAULTS.relayPolicy, proposerEndpoints: o.relay?.proposer_endpoints ?? [] },
      tally: stripUndefined({ settlementAddr: o.tally!.settlement_addr, chainRpc: o.tally?.chain_rpc, confirmationDepth: o.tally?.confirmation_depth, threshold: o.tally?.threshold }),
    },
    hosts,
    roleCounts,
    warnings,
  };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Material generated after validation (keys, images) that the manifest does not hold. */
export interface ManifestExtras {
  atelierBlsPublicKeys?: (Uint8Array | string)[];
  tallyEcdsaAddresses?: (Uint8Array | string)[];
  relayBuilderPublicKey?: Uint8Array | string;
  unsealMrtdAcl?: (Uint8Array | string)[];
  atelierImageMrtd?: Uint8Array | string;
  /** Overrides [lattice] genesis_unix_ms (e.g. the devnet's start time). */
  slotGenesisUnixMs?: number;
}

/**
 * The LatticeConfig a manifest describes: committee sizes are the role counts
 * of [[hosts]]; everything else comes from [organisms.*] and the defaults.
 */
export function manifestToLatticeConfig(manifest: Manifest, extras: ManifestExtras = {}): LatticeConfig {
  const o = manifest.organisms;
  const c = manifest.roleCounts;
  const input: LatticeConfigInput = {
    name: manifest.lattice.name,
    chainId: manifest.lattice.chainId,
    zipnetWindow: typeof o.zipnet.window === "string" ? o.zipnet.window : o.zipnet.window,
    unsealThreshold: { t: o.unseal.t, n: o.unseal.n },
    unsealMrtdAcl: [...o.unseal.mrtdAcl, ...(extras.unsealMrtdAcl ?? [])],
    offerCommitteeSize: c["offer-member"],
    offerWindow: o.offer.auctionWindowMs,
    atelierCommitteeSize: c["atelier-member"],
    atelierMrtdAcl: o.atelier.mrtdAcl,
    blockSchema: o.atelier.blockSchema,
    relayPolicy: o.relay.policy,
    proposerEndpoints: o.relay.proposerEndpoints,
    relayCommitteeSize: c["relay-member"],
    tallySettlementAddr: o.tally.settlementAddr,
    tallyCommitteeSize: c["tally-member"],
    insecureDev: manifest.lattice.insecureDev,
  };
  const set = <K extends keyof LatticeConfigInput>(k: K, v: LatticeConfigInput[K] | undefined): void => {
    if (v !== undefined) input[k] = v;
  };
  set("zipnetInitSalt", o.zipnet.initSalt);
  set("zipnetMaxEnvelopesPerClientPerSlot", o.zipnet.maxEnvelopesPerClientPerSlot);
  set("unsealDkgEpochSlots", o.unseal.dkgEpochSlots);
  set("offerThreshold", o.offer.threshold);
  set("offerMaxBidBytes", o.offer.maxBidBytes);
  set("atelierThreshold", o.atelier.threshold);
  set("atelierImageMrtd", extras.atelierImageMrtd ?? o.atelier.imageMrtd);
  set("atelierChainRpc", o.atelier.chainRpc);
  set("atelierBlsPublicKeys", extras.atelierBlsPublicKeys);
  set("relayBuilderPublicKey", extras.relayBuilderPublicKey);
  set("tallyThreshold", o.tally.threshold);
  set("tallyEcdsaAddresses", extras.tallyEcdsaAddresses);
  set("tallyChainRpc", o.tally.chainRpc);
  set("confirmationDepth", o.tally.confirmationDepth);
  set("slotDurationMs", manifest.lattice.slotDurationMs);
  set("slotGenesisUnixMs", extras.slotGenesisUnixMs ?? manifest.lattice.genesisUnixMs);
  return assembleLatticeConfig(input);
}
