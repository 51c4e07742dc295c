/**
 * Size limits of the canonical encoding. They bound what a decoder accepts
 * from LATTICE_CONFIG_HEX, which arrives from files and operators.
 */
export const LIMITS = {
  nameBytes: 128,
  urlBytes: 1024,
  proposerEndpoints: 16,
  /** Phase 2 co-building grows atelier beyond 7; keep headroom in the roster. */
  rosterKeys: 32,
  mrtdAcl: 32,
  blsPublicKeyBytes: 48,
  mrtdBytes: 48,
  addressBytes: 20,
  saltBytes: 32,
} as const;

/** Upper bound on an encoded LatticeConfig; decoding rejects larger input before parsing. */
export const MAX_LATTICE_CONFIG_BYTES = 64 * 1024;
