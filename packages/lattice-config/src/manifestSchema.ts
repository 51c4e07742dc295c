/** The structure of `lattice.toml` as a strict zod schema: unknown keys are errors at every level. */
import * as z from "zod";
import { checkChecksumAddress } from "./address.js";
import { parseThreshold, parseZipnetWindow } from "./assemble.js";
import { LIMITS } from "./limits.js";
import { ROLE_NAMES, roleSpec } from "./organisms.js";
import { BLOCK_SCHEMAS, RELAY_POLICIES } from "./types.js";
import { LATTICE_NAME_RE } from "./validate.js";

/** Manifests are small; a larger file is a mistake (or an attack on the parser). */
export const MAX_MANIFEST_BYTES = 256 * 1024;

const HEX48_RE = /^(0x)?[0-9a-fA-F]{96}$/;
const HEX32_RE = /^(0x)?[0-9a-fA-F]{64}$/;
const SSH_RE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?$/;
const MEMBER_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const httpUrl = (what: string) =>
  z.string().max(LIMITS.urlBytes).refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === "http:" || u.protocol === "https:" || (what === "rpc" && (u.protocol === "ws:" || u.protocol === "wss:"));
    } catch {
      return false;
    }
  }, what === "rpc" ? "expected an absolute http(s) or ws(s) URL" : "expected an absolute http(s) URL");

const uint = (max: number) => z.int().min(1).max(max);
const address = z.string().superRefine((s, ctx) => {
  const r = checkChecksumAddress(s);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
});
const mrtd = z.string().regex(HEX48_RE, "expected a 48-byte MR_TD as 96 hex characters (optional 0x)");
const threshold = z.string().superRefine((s, ctx) => {
  const r = parseThreshold(s);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
  else if (r.value.n < roleSpec("unseal-member").minProcesses || r.value.n > roleSpec("unseal-member").maxProcesses) {
    ctx.addIssue({ code: "custom", message: `expected n between 3 and 7 (the role table's unseal-member range), found n = ${r.value.n} in "${s}"` });
  }
});
const windowSchema = z.union([z.string(), z.array(z.int().nonnegative())]).superRefine((v, ctx) => {
  const r = parseZipnetWindow(v);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
});

export const ManifestSchema = z.strictObject({
  lattice: z.strictObject({
    name: z.string().max(LIMITS.nameBytes).regex(LATTICE_NAME_RE, 'expected letters, digits, ".", "_" or "-" starting with a letter or digit, e.g. "acme.ethereum.mainnet"'),
    chain_id: z.union([z.int().positive(), z.bigint().positive().max((1n << 64n) - 1n)]),
    slot_duration_ms: uint(0xffff_ffff).optional(),
    genesis_unix_ms: z.int().nonnegative().optional(),
    insecure_dev: z.boolean().optional(),
  }),
  organisms: z
    .strictObject({
      zipnet: z.strictObject({ window: windowSchema.optional(), init_salt: z.string().regex(HEX32_RE, "expected 32 bytes as 64 hex characters (optional 0x)").optional(), max_envelopes_per_client_per_slot: uint(0xffff).optional() }).optional(),
      unseal: z.strictObject({ threshold: threshold.optional(), dkg_epoch_slots: uint(0xffff_ffff).optional(), mrtd_acl: z.array(mrtd).max(LIMITS.mrtdAcl).optional() }).optional(),
      offer: z.strictObject({ auction_window_ms: uint(0xffff_ffff).optional(), threshold: uint(255).optional(), max_bid_bytes: uint(1 << 20).optional() }).optional(),
      atelier: z
        .strictObject({
          block_schema: z.enum(BLOCK_SCHEMAS).optional(),
          chain_rpc: httpUrl("rpc").optional(),
          image_mrtd: mrtd.optional(),
          mrtd_acl: z.array(mrtd).max(LIMITS.mrtdAcl).optional(),
          threshold: uint(255).optional(),
        })
        .optional(),
      relay: z.strictObject({ policy: z.enum(RELAY_POLICIES).optional(), proposer_endpoints: z.array(httpUrl("endpoint")).min(1).max(LIMITS.proposerEndpoints) }).optional(),
      tally: z.strictObject({ settlement_addr: address, chain_rpc: httpUrl("rpc").optional(), confirmation_depth: z.int().min(0).max(1024).optional(), threshold: uint(255).optional() }).optional(),
    })
    .optional(),
  hosts: z
    .array(
      z.strictObject({
        ssh: z.string().regex(SSH_RE, 'expected an SSH target "user@host" or "user@host:port"').optional(),
        local: z.literal(true, 'expected local = true (omit the key for ssh hosts)').optional(),
        name: z.string().regex(MEMBER_RE, "expected a member name of letters, digits, '.', '_' or '-' (at most 64)").optional(),
        tdx: z.boolean().optional(),
        roles: z.array(z.enum(ROLE_NAMES)).min(1),
      }),
    )
    .min(1),
});

export type RawManifest = z.infer<typeof ManifestSchema>;

/** The keys a strict table at `path` allows, found by walking the schema (so messages list them without a second copy). */
export function allowedKeys(path: readonly PropertyKey[]): string[] {
  let s: any = ManifestSchema;
  for (const seg of path) {
    while (s?.def?.type === "optional" || s?.def?.type === "default") s = s.def.innerType;
    if (typeof seg === "number") s = s?.def?.element;
    else s = s?.def?.shape?.[seg];
  }
  while (s?.def?.type === "optional" || s?.def?.type === "default") s = s.def.innerType;
  return s?.def?.shape ? Object.keys(s.def.shape) : [];
}
