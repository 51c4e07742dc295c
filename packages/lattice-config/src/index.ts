// The public surface of @builder/lattice-config.
export { ORGANISMS, ROLES, ROLE_NAMES, roleOrganism, roleSpec, isRoleName, isOrganism } from "./organisms.js";
export type { Organism, RoleName, RoleSpec, TdxRequirement } from "./organisms.js";

export { uniqueId, derive, idToHex, idFromHex, UNIVERSE, universeFromEnv, latticeRoot, organismRoot, UNIQUE_ID_BYTES } from "./ids.js";
export type { UniqueId } from "./ids.js";

export { LATTICE_CONFIG_VERSION, ZIPNET_WINDOW_PRESETS, BLOCK_SCHEMAS, RELAY_POLICIES } from "./types.js";
export type {
  LatticeConfig,
  OrganismConfigs,
  SlotConfig,
  ZipnetConfig,
  ZipnetWindow,
  ZipnetWindowParams,
  ZipnetWindowPreset,
  UnsealConfig,
  OfferConfig,
  AtelierConfig,
  BlockSchema,
  RelayConfig,
  RelayPolicy,
  TallyConfig,
} from "./types.js";

export { LIMITS, MAX_LATTICE_CONFIG_BYTES } from "./limits.js";
export { latticeConfigProblems, assertValidLatticeConfig, zipnetWindowParams, LATTICE_NAME_RE } from "./validate.js";
export { encodeLatticeConfig, decodeLatticeConfig, latticeConfigToHex, latticeConfigFromHex, encodeOrganismConfig, normalizeZipnetWindow } from "./encoding.js";
export { latticeId, groupId, collectionId } from "./fingerprint.js";
export { assembleLatticeConfig, LATTICE_CONFIG_DEFAULTS, KNOWN_SLOT_GENESIS_UNIX_MS, parseThreshold, parseDurationMs, parseZipnetWindow } from "./assemble.js";
export type { LatticeConfigInput, Parsed } from "./assemble.js";
export { toChecksumAddress, checkChecksumAddress } from "./address.js";
export { parseManifest, manifestToLatticeConfig, MAX_MANIFEST_BYTES } from "./manifest.js";
export type { Manifest, ManifestHost, HostTarget, ManifestExtras } from "./manifest.js";
export { roleEnvSchema, parseRoleEnv, roleEnvVariables, DEFAULT_DATA_ROOT, LOG_LEVELS } from "./env.js";
export type { RoleEnvMap, CommonRoleEnv, AtelierRoleEnv, RelayRoleEnv, TallyRoleEnv, PrometheusAddr, LogLevel, EnvVariableSpec } from "./env.js";
export { COLLECTIONS, SUBSCRIPTIONS, upstreamCollections, downstreamOrganisms } from "./subscriptions.js";
export type { CollectionLabel, CollectionOf, Subscription, UpstreamCollection } from "./subscriptions.js";
export { LatticeConfigError, ManifestError, RoleEnvError } from "./errors.js";
export type { LatticeConfigErrorCode, ConfigProblem, ManifestProblem, ManifestErrorCode, EnvProblem, RoleEnvErrorCode } from "./errors.js";
