/** The six organisms, in pipeline order (wallets → zipnet → … → tally). */
export const ORGANISMS = ["zipnet", "unseal", "offer", "atelier", "relay", "tally"] as const;
export type Organism = (typeof ORGANISMS)[number];

export const ROLE_NAMES = [
  "zipnet-server",
  "zipnet-aggregator",
  "unseal-member",
  "offer-member",
  "atelier-member",
  "relay-member",
  "tally-member",
] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** "yes": the tool fails closed without TDX; "optional"/"no": never required; "v2": planned, not enforced yet. */
export type TdxRequirement = "yes" | "optional" | "no" | "v2";

export interface RoleSpec {
  name: RoleName;
  organism: Organism;
  /** Minimum processes of this role in a lattice (seed quickstart role table). */
  minProcesses: number;
  /** Maximum processes of this role. */
  maxProcesses: number;
  /** True when every host running the role must have `tdx = true` (fail closed). */
  tdxRequired: boolean;
  /** The table's wording, kept for docs and `builder lattice status`. */
  tdx: TdxRequirement;
  hardware: string;
}

/** The seed quickstart's role table, as data. */
export const ROLES: readonly RoleSpec[] = [
  { name: "zipnet-server", organism: "zipnet", minProcesses: 3, maxProcesses: 3, tdxRequired: false, tdx: "v2", hardware: "small cloud" },
  { name: "zipnet-aggregator", organism: "zipnet", minProcesses: 1, maxProcesses: 1, tdxRequired: false, tdx: "no", hardware: "medium cloud" },
  { name: "unseal-member", organism: "unseal", minProcesses: 3, maxProcesses: 7, tdxRequired: true, tdx: "yes", hardware: "TDX-enabled hosts" },
  { name: "offer-member", organism: "offer", minProcesses: 3, maxProcesses: 5, tdxRequired: false, tdx: "optional", hardware: "small cloud" },
  { name: "atelier-member", organism: "atelier", minProcesses: 3, maxProcesses: 7, tdxRequired: true, tdx: "yes", hardware: "TDX hosts, higher RAM" },
  { name: "relay-member", organism: "relay", minProcesses: 3, maxProcesses: 5, tdxRequired: false, tdx: "optional", hardware: "well-connected cloud" },
  { name: "tally-member", organism: "tally", minProcesses: 3, maxProcesses: 5, tdxRequired: false, tdx: "no", hardware: "small cloud" },
];

const ROLE_BY_NAME = new Map<string, RoleSpec>(ROLES.map((r) => [r.name, r]));

export function isRoleName(s: string): s is RoleName {
  return ROLE_BY_NAME.has(s);
}

export function isOrganism(s: string): s is Organism {
  return (ORGANISMS as readonly string[]).includes(s);
}

export function roleSpec(role: RoleName): RoleSpec {
  const spec = ROLE_BY_NAME.get(role);
  if (spec === undefined) throw new TypeError(`unknown role ${JSON.stringify(role)}; expected one of ${ROLE_NAMES.join(", ")}`);
  return spec;
}

export function roleOrganism(role: RoleName): Organism {
  return roleSpec(role).organism;
}
