// What every zipnet role derives from the LatticeConfig: ids, protocols and
// round geometry. Derived, never configured by hand (DESIGN §2).
import { collectionId, groupId, latticeId, zipnetWindowParams, type LatticeConfig } from "@builder/lattice-config";
import { toHex } from "../bytes.js";
import type { RoundParams } from "../proto.js";
import { roundParams, type SlotTiming } from "../window.js";

/** Labels of zipnet's public collections (collection id = derive(GroupId, label)). */
export const ZIPNET_COLLECTIONS = ["broadcasts", "liveRound", "clientRegistry", "serverRegistry"] as const;
export type ZipnetCollection = (typeof ZIPNET_COLLECTIONS)[number];

export interface ZipnetIds {
  readonly groupId: Uint8Array;
  readonly groupIdHex: string;
  readonly latticeId: Uint8Array;
  readonly collections: Readonly<Record<ZipnetCollection, Uint8Array>>;
  readonly params: RoundParams;
  readonly slot: SlotTiming;
  /** Client → aggregator envelope stream. */
  readonly envelopeProtocol: string;
  /** Client → server registration request. */
  readonly registerProtocol: string;
}

export function zipnetIds(config: LatticeConfig): ZipnetIds {
  const gid = groupId(config, "zipnet");
  const hex = toHex(gid);
  const collections = Object.fromEntries(ZIPNET_COLLECTIONS.map((l) => [l, collectionId(config, "zipnet", l)])) as Record<ZipnetCollection, Uint8Array>;
  return {
    groupId: gid,
    groupIdHex: hex,
    latticeId: latticeId(config),
    collections,
    params: roundParams(zipnetWindowParams(config.zipnet.window)),
    slot: { genesisUnixMs: config.slot.genesisUnixMs, slotDurationMs: config.slot.durationMs, cutoffMs: 0 },
    envelopeProtocol: `/lattice/zipnet/envelope/1.0.0/${hex}`,
    registerProtocol: `/lattice/zipnet/register/1.0.0/${hex}`,
  };
}
