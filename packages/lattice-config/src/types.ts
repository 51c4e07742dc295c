/**
 * LatticeConfig and the six organism configs. Every field here is content:
 * it folds into the canonical encoding, hence into latticeId and (for the
 * organism sections) into that organism's GroupId. Changing any of them is a
 * lattice retirement and replacement, never an in-place edit.
 */

/** Current version of the canonical encoding (first byte of the encoding). */
export const LATTICE_CONFIG_VERSION = 1;

/** Explicit zipnet round parameters. */
export interface ZipnetWindowParams {
  /** Time between round openings. */
  roundPeriodMs: number;
  /** A round with fewer participants than this is not finalized (anonymity-set floor). */
  minParticipants: number;
  /** Client slots per round: the DC-net vector has this many datum slots. */
  maxParticipants: number;
  /** The aggregator stops folding envelopes this long after the round opens. */
  foldDeadlineMs: number;
  /** Servers must have submitted their partials this long after the round opens, else the round is dropped. */
  roundDeadlineMs: number;
}

export type ZipnetWindowPreset = "interactive" | "archival";

/** A preset name or an explicit tuple. Encoding stores the tuple; a tuple equal to a preset decodes as the preset name. */
export type ZipnetWindow = ZipnetWindowPreset | ZipnetWindowParams;

/** The seed's two presets: interactive = 1 s rounds up to 64 clients; archival = 30 s rounds up to 1024. */
export const ZIPNET_WINDOW_PRESETS: Readonly<Record<ZipnetWindowPreset, Readonly<ZipnetWindowParams>>> = {
  interactive: { roundPeriodMs: 1_000, minParticipants: 2, maxParticipants: 64, foldDeadlineMs: 700, roundDeadlineMs: 950 },
  archival: { roundPeriodMs: 30_000, minParticipants: 2, maxParticipants: 1024, foldDeadlineMs: 25_000, roundDeadlineMs: 29_000 },
};

export interface ZipnetConfig {
  window: ZipnetWindow;
  /** 32 bytes mixed into every round's pad derivation, so two lattices never share pads. */
  initSalt: Uint8Array;
  /** Anytrust servers (anonymity holds while one is honest). The role table pins 3. */
  servers: number;
  /** Bytes of one client datum (a sealed EIP-2718 transaction, padded): 1024. */
  datumBytes: number;
  /** Envelopes one client may land per slot (rate limit; cover traffic does not count). */
  maxEnvelopesPerClientPerSlot: number;
}

export interface UnsealConfig {
  /** Shares needed to rebuild a slot key; t > n/2 and t ≤ n. */
  t: number;
  /** Committee size: the number of unseal-member processes (3–7). */
  n: number;
  /** Slots per DKG epoch: keys for the next epoch are generated and published (SlotKeys) one epoch ahead. */
  dkgEpochSlots: number;
  /** Accepted TDX MR_TDs (48 bytes each) for members; empty = not pinned (only acceptable with insecureDev). */
  mrtdAcl: Uint8Array[];
}

export interface OfferConfig {
  /** Offer committee size (3–5). */
  committeeSize: number;
  /** Shares needed to open the slot's bid key (majority by default). */
  threshold: number;
  /** Bids are accepted for this long after UnsealedPool[S] commits; then the bid set is frozen. */
  auctionWindowMs: number;
  /** Larger sealed bids are rejected (reason "size"). */
  maxBidBytes: number;
}

export const BLOCK_SCHEMAS = ["l1-post-4844"] as const;
export type BlockSchema = (typeof BLOCK_SCHEMAS)[number];

export interface AtelierConfig {
  /** Committee size (3–7); blsPublicKeys, when pinned, has exactly n entries. */
  n: number;
  /** Matching member signatures needed before a Candidate commits (majority by default). */
  threshold: number;
  blockSchema: BlockSchema;
  /** The pinned chain RPC used for simulation (eth_simulateV1); "" = not pinned, members use ATELIER_CHAIN_RPC. */
  chainRpc: string;
  /** The committee roster: 48-byte compressed BLS public keys, in member order. Empty = not pinned yet. */
  blsPublicKeys: Uint8Array[];
  /** Accepted TDX MR_TDs (48 bytes each). */
  mrtdAcl: Uint8Array[];
  /** The reference image's MR_TD (48 bytes), as published in the handshake kit; undefined when not built yet. */
  imageMrtd?: Uint8Array | undefined;
}

export const RELAY_POLICIES = ["l1-mev-boost", "l2-sequencer", "l2-leader-rotation"] as const;
export type RelayPolicy = (typeof RELAY_POLICIES)[number];

export interface RelayConfig {
  policy: RelayPolicy;
  /** Proposer-side endpoints (MEV-Boost relays / sequencers), absolute http(s) URLs; at most 16. */
  proposerEndpoints: string[];
  /** Relay committee size (3–5); a header is accepted when a majority observed the acknowledgement. */
  committeeSize: number;
  /** The lattice's builder BLS public key (48 bytes) proposers see; undefined when not generated yet. */
  builderPublicKey?: Uint8Array | undefined;
}

export interface TallyConfig {
  /** Tally committee size (3–5); ecdsaAddresses, when pinned, has exactly this many entries. */
  committeeSize: number;
  /** Attestations a settlement claim must carry (majority by default). */
  threshold: number;
  /** Committee signer addresses (20 bytes each), in member order. Empty = not pinned yet. */
  ecdsaAddresses: Uint8Array[];
  /** The settlement contract (20 bytes). */
  settlementAddr: Uint8Array;
  /** The chain RPC the inclusion watcher reads; "" = not pinned, members use TALLY_CHAIN_RPC. */
  chainRpc: string;
  /** Blocks on top of the accepted block before it counts as included. */
  confirmationDepth: number;
}

export interface SlotConfig {
  /** Unix time (ms) of slot 0. */
  genesisUnixMs: number;
  /** Slot length (ms); 12000 on Ethereum L1. */
  durationMs: number;
}

/** The organism sections of a LatticeConfig. */
export interface OrganismConfigs {
  zipnet: ZipnetConfig;
  unseal: UnsealConfig;
  offer: OfferConfig;
  atelier: AtelierConfig;
  relay: RelayConfig;
  tally: TallyConfig;
}

export interface LatticeConfig extends OrganismConfigs {
  /** Encoding version; LATTICE_CONFIG_VERSION for configs built by this package. */
  version: number;
  /** The instance name (LATTICE_INSTANCE), e.g. "acme.ethereum.mainnet". */
  name: string;
  /** EVM chain id (uint64). */
  chainId: bigint;
  slot: SlotConfig;
  /** Allows development TDX attestation (devnet without TDX hardware); production members refuse it. */
  insecureDev: boolean;
}
