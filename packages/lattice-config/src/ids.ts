import { blake3 } from "@noble/hashes/blake3.js";
import { LatticeConfigError } from "./errors.js";
import { toHex, tryFromHex } from "./hex.js";
import type { Organism } from "./organisms.js";

/** A 32-byte identifier (network, lattice, organism root, group, collection). */
export type UniqueId = Uint8Array;

export const UNIQUE_ID_BYTES = 32;

const utf8 = new TextEncoder();
const HEX64_RE = /^[0-9a-fA-F]{64}$/;

/**
 * blake3(utf8 s), except that a 64-hex string is taken as the id itself, so
 * an id printed by one tool can be pasted into another (e.g. LATTICE_UNIVERSE).
 */
export function uniqueId(s: string): UniqueId {
  if (HEX64_RE.test(s)) return new Uint8Array(Buffer.from(s, "hex"));
  return blake3(utf8.encode(s));
}

/** blake3(id ‖ utf8 label): a child id that cannot collide across labels of one parent. */
export function derive(id: UniqueId, label: string): UniqueId {
  assertId(id, "derive(id)");
  const l = utf8.encode(label);
  const buf = new Uint8Array(id.length + l.length);
  buf.set(id, 0);
  buf.set(l, id.length);
  return blake3(buf);
}

export function idToHex(id: UniqueId): string {
  return toHex(id);
}

/** Parses a 32-byte id from hex (optional 0x); throws LATTICE_ID_BAD_HEX naming the input. */
export function idFromHex(hex: string): UniqueId {
  const bytes = tryFromHex(hex);
  if (bytes === undefined || bytes.length !== UNIQUE_ID_BYTES) {
    throw new LatticeConfigError(
      "LATTICE_ID_BAD_HEX",
      `expected a 32-byte id as 64 hex characters (optional 0x), found ${JSON.stringify(hex.length > 80 ? `${hex.slice(0, 80)}…` : hex)}`,
    );
  }
  return bytes;
}

/** The default universe every lattice lives in. */
export const UNIVERSE: UniqueId = uniqueId("mosaik.universe");

/** UNIVERSE, or `uniqueId(LATTICE_UNIVERSE)` when that variable is set and non-empty. */
export function universeFromEnv(env: Readonly<Record<string, string | undefined>>): UniqueId {
  const v = env["LATTICE_UNIVERSE"];
  return v === undefined || v.trim() === "" ? UNIVERSE : uniqueId(v.trim());
}

/** blake3(utf8 "builder|" + name + "|chain=" + decimal chainId). */
export function latticeRoot(name: string, chainId: bigint | number): UniqueId {
  const id = typeof chainId === "bigint" ? chainId : BigInt(chainId);
  return blake3(utf8.encode(`builder|${name}|chain=${id.toString(10)}`));
}

/** derive(latticeRoot, organism), e.g. ZIPNET_ROOT = derive(LATTICE, "zipnet"). */
export function organismRoot(latticeRootId: UniqueId, organism: Organism): UniqueId {
  return derive(latticeRootId, organism);
}

function assertId(id: Uint8Array, where: string): void {
  if (!(id instanceof Uint8Array) || id.length !== UNIQUE_ID_BYTES) {
    throw new LatticeConfigError("LATTICE_ID_BAD_HEX", `${where}: expected a 32-byte UniqueId, found ${id instanceof Uint8Array ? `${id.length} bytes` : typeof id}`);
  }
}
