/**
 * SSZ schemas of the canonical encoding, declared once. Field order and widths
 * are part of the fingerprint: never reorder or widen a field in place; add a
 * new encoding version instead.
 */
import { BooleanType, ByteListType, ByteVectorType, ContainerType, ListCompositeType, UintBigintType, UintNumberType } from "@chainsafe/ssz";
import { LIMITS } from "./limits.js";

const u8 = new UintNumberType(1);
const u16 = new UintNumberType(2);
const u32 = new UintNumberType(4);
const u64n = new UintNumberType(8);
const u64b = new UintBigintType(8);
const text = new ByteListType(LIMITS.urlBytes);
const mrtd = new ByteVectorType(LIMITS.mrtdBytes);
const blsKey = new ByteVectorType(LIMITS.blsPublicKeyBytes);
const address = new ByteVectorType(LIMITS.addressBytes);
/** An optional 48-byte value: a list of at most one. */
const optional48 = new ListCompositeType(mrtd, 1);

export const SlotSsz = new ContainerType({ genesisUnixMs: u64n, durationMs: u32 });

export const ZipnetSsz = new ContainerType({
  roundPeriodMs: u32,
  minParticipants: u16,
  maxParticipants: u16,
  foldDeadlineMs: u32,
  roundDeadlineMs: u32,
  initSalt: new ByteVectorType(LIMITS.saltBytes),
  servers: u8,
  datumBytes: u32,
  maxEnvelopesPerClientPerSlot: u16,
});

export const UnsealSsz = new ContainerType({
  t: u8,
  n: u8,
  dkgEpochSlots: u32,
  mrtdAcl: new ListCompositeType(mrtd, LIMITS.mrtdAcl),
});

export const OfferSsz = new ContainerType({ committeeSize: u8, threshold: u8, auctionWindowMs: u32, maxBidBytes: u32 });

export const AtelierSsz = new ContainerType({
  n: u8,
  threshold: u8,
  /** Index into BLOCK_SCHEMAS. */
  blockSchema: u8,
  chainRpc: text,
  blsPublicKeys: new ListCompositeType(blsKey, LIMITS.rosterKeys),
  mrtdAcl: new ListCompositeType(mrtd, LIMITS.mrtdAcl),
  imageMrtd: optional48,
});

export const RelaySsz = new ContainerType({
  /** Index into RELAY_POLICIES. */
  policy: u8,
  proposerEndpoints: new ListCompositeType(text, LIMITS.proposerEndpoints),
  committeeSize: u8,
  builderPublicKey: new ListCompositeType(blsKey, 1),
});

export const TallySsz = new ContainerType({
  committeeSize: u8,
  threshold: u8,
  ecdsaAddresses: new ListCompositeType(address, LIMITS.rosterKeys),
  settlementAddr: address,
  chainRpc: text,
  confirmationDepth: u16,
});

export const LatticeSsz = new ContainerType({
  name: new ByteListType(LIMITS.nameBytes),
  chainId: u64b,
  slot: SlotSsz,
  insecureDev: new BooleanType(),
  zipnet: ZipnetSsz,
  unseal: UnsealSsz,
  offer: OfferSsz,
  atelier: AtelierSsz,
  relay: RelaySsz,
  tally: TallySsz,
});

/**
 * What an organism's GroupId hashes: the lattice-wide parameters every member
 * must agree on (slot clock, insecure-dev) plus the organism's own section, so
 * members with a different slot clock or attestation policy never bond.
 */
function organismEnvelope<T extends ContainerType<any>>(config: T) {
  return new ContainerType({ slot: SlotSsz, insecureDev: new BooleanType(), config });
}

export const OrganismSsz = {
  zipnet: organismEnvelope(ZipnetSsz),
  unseal: organismEnvelope(UnsealSsz),
  offer: organismEnvelope(OfferSsz),
  atelier: organismEnvelope(AtelierSsz),
  relay: organismEnvelope(RelaySsz),
  tally: organismEnvelope(TallySsz),
} as const;
