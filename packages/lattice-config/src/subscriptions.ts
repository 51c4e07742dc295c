import { collectionId, groupId } from "./fingerprint.js";
import type { UniqueId } from "./ids.js";
import type { Organism } from "./organisms.js";
import type { LatticeConfig } from "./types.js";

/** Public, slot-keyed collections each organism writes (DESIGN §1). Labels derive collection ids from the GroupId. */
export const COLLECTIONS = {
  zipnet: ["broadcasts", "liveRound"],
  unseal: ["slotKeys", "pool"],
  offer: ["auctionOutcome"],
  atelier: ["candidates"],
  relay: ["acceptedHeaders"],
  tally: ["refunds", "attestations"],
} as const satisfies Record<Organism, readonly string[]>;

export type CollectionLabel = (typeof COLLECTIONS)[Organism][number];
export type CollectionOf<O extends Organism> = (typeof COLLECTIONS)[O][number];

export interface Subscription {
  subscriber: Organism;
  source: Organism;
  collection: CollectionLabel;
}

/**
 * Who reads what (DESIGN §1, §4). Every arrow of the pipeline is one of these;
 * daemons derive the ids from LATTICE_CONFIG_HEX, never from hand-written endpoints.
 */
export const SUBSCRIPTIONS: readonly Subscription[] = [
  { subscriber: "unseal", source: "zipnet", collection: "broadcasts" },
  { subscriber: "offer", source: "unseal", collection: "pool" },
  { subscriber: "atelier", source: "unseal", collection: "pool" },
  { subscriber: "atelier", source: "offer", collection: "auctionOutcome" },
  { subscriber: "relay", source: "atelier", collection: "candidates" },
  { subscriber: "tally", source: "zipnet", collection: "broadcasts" },
  { subscriber: "tally", source: "offer", collection: "auctionOutcome" },
  { subscriber: "tally", source: "atelier", collection: "candidates" },
  { subscriber: "tally", source: "relay", collection: "acceptedHeaders" },
];

export interface UpstreamCollection extends Subscription {
  /** The source organism's GroupId (whose members serve the collection). */
  sourceGroupId: UniqueId;
  /** derive(sourceGroupId, collection). */
  id: UniqueId;
}

/** The collections `organism` subscribes to, with their ids under `cfg`, in SUBSCRIPTIONS order. */
export function upstreamCollections(cfg: LatticeConfig, organism: Organism): UpstreamCollection[] {
  const groups = new Map<Organism, UniqueId>();
  return SUBSCRIPTIONS.filter((s) => s.subscriber === organism).map((s) => {
    let g = groups.get(s.source);
    if (g === undefined) {
      g = groupId(cfg, s.source);
      groups.set(s.source, g);
    }
    return { ...s, sourceGroupId: g, id: collectionId(cfg, s.source, s.collection) };
  });
}

/** The organisms that read `organism`'s collections. */
export function downstreamOrganisms(organism: Organism): Organism[] {
  return [...new Set(SUBSCRIPTIONS.filter((s) => s.source === organism).map((s) => s.subscriber))];
}
