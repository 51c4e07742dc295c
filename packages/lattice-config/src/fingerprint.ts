import { blake3 } from "@noble/hashes/blake3.js";
import { encodeLatticeConfig, encodeOrganismConfig } from "./encoding.js";
import { toHex } from "./hex.js";
import { derive, latticeRoot, organismRoot, type UniqueId } from "./ids.js";
import type { Organism } from "./organisms.js";
import type { LatticeConfig } from "./types.js";

/** blake3(encodeLatticeConfig(cfg)): the fingerprint integrators pin. */
export function latticeId(cfg: LatticeConfig): UniqueId {
  return blake3(encodeLatticeConfig(cfg));
}

/** derive(organismRoot(latticeRoot(name, chainId), organism), hex(blake3(encodeOrganismConfig(cfg, organism)))). */
export function groupId(cfg: LatticeConfig, organism: Organism): UniqueId {
  const root = organismRoot(latticeRoot(cfg.name, cfg.chainId), organism);
  return derive(root, toHex(blake3(encodeOrganismConfig(cfg, organism))));
}

/** derive(groupId(cfg, organism), label): the id of one of the organism's public collections. */
export function collectionId(cfg: LatticeConfig, organism: Organism, label: string): UniqueId {
  return derive(groupId(cfg, organism), label);
}
