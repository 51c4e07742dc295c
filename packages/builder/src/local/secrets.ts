// The secret files a lattice member needs, named as the seed's runbooks name
// them (`<instance>.<org>.secret` for the committee admission secret shared by
// an organism's members; `<instance>.<org>.<member>.peer|bls|ecdsa` for one
// member's own keys), created 0400 under one directory. Idempotent: an
// existing file is kept (a re-run must never change an identity), so
// `lattice up` can resume and a second member of the same organism shares the
// committee secret.
import { randomBytes } from "node:crypto";
import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { roleOrganism, type RoleName } from "@builder/lattice-config";
import { writeSecretFile } from "@builder/daemon";

/** BLS12-381 subgroup order r: a BLS secret key is a non-zero scalar below it. */
const BLS_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
/** secp256k1 group order n: an ECDSA secret key is a non-zero scalar below it. */
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export type SecretKind = "committee" | "peer" | "bls" | "ecdsa";

export interface SecretFileSpec {
  /** The env variable that points at the file. */
  readonly variable: string;
  readonly kind: SecretKind;
  /** File name inside the secrets directory. */
  readonly file: string;
}

/** Which secret files `role` reads, and the file names the runbooks use for them. */
export function secretFilesFor(instance: string, role: RoleName, member: string): SecretFileSpec[] {
  const org = roleOrganism(role);
  const P = org.toUpperCase();
  const specs: SecretFileSpec[] = [
    { variable: `${P}_COMMITTEE_SECRET_FILE`, kind: "committee", file: `${instance}.${org}.secret` },
    { variable: `${P}_SECRET_FILE`, kind: "peer", file: `${instance}.${org}.${member}.peer` },
  ];
  if (role === "atelier-member") specs.push({ variable: "ATELIER_BLS_SECRET_FILE", kind: "bls", file: `${instance}.atelier.${member}.bls` });
  // The relay signs with the lattice's one builder key, shared by its members.
  if (role === "relay-member") specs.push({ variable: "RELAY_BLS_SECRET_FILE", kind: "bls", file: `${instance}.relay.builder.bls` });
  if (role === "tally-member") specs.push({ variable: "TALLY_ECDSA_SECRET_FILE", kind: "ecdsa", file: `${instance}.tally.${member}.ecdsa` });
  return specs;
}

/** 32 fresh bytes valid for `kind`: BLS and ECDSA keys are reduced into their groups (never zero). */
export function freshSecret(kind: SecretKind, random: (n: number) => Uint8Array = (n) => randomBytes(n)): Uint8Array {
  const order = kind === "bls" ? BLS_ORDER : kind === "ecdsa" ? SECP256K1_ORDER : null;
  if (order === null) return random(32);
  // 48 bytes reduced mod the order: the bias is below 2^-128.
  const wide = BigInt(`0x${Buffer.from(random(48)).toString("hex")}`);
  const scalar = (wide % (order - 1n)) + 1n;
  return Uint8Array.from(Buffer.from(scalar.toString(16).padStart(64, "0"), "hex"));
}

export interface EnsuredSecrets {
  /** env variable → absolute file path. */
  readonly env: Record<string, string>;
  /** Files this call created (the others already existed and were kept). */
  readonly created: readonly string[];
}

/** Creates (0400) whichever of the role's secret files are missing under `dir` (made 0700 if absent); keeps existing ones. */
export async function ensureSecrets(
  dir: string,
  instance: string,
  role: RoleName,
  member: string,
  random?: (n: number) => Uint8Array,
): Promise<EnsuredSecrets> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const env: Record<string, string> = {};
  const created: string[] = [];
  for (const spec of secretFilesFor(instance, role, member)) {
    const path = join(dir, spec.file);
    env[spec.variable] = path;
    const exists = await access(path).then(() => true, () => false);
    if (exists) continue;
    await writeSecretFile(path, freshSecret(spec.kind, random));
    created.push(path);
  }
  return { env, created };
}
