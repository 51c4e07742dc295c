import { keccak_256 } from "@noble/hashes/sha3.js";

const utf8 = new TextEncoder();
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/** The EIP-55 mixed-case form of a 20-byte address. */
export function toChecksumAddress(address: Uint8Array | string): string {
  const lower = (typeof address === "string" ? address.slice(2) : Buffer.from(address).toString("hex")).toLowerCase();
  const hash = keccak_256(utf8.encode(lower));
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i]!;
    // EIP-55: uppercase a letter when the matching nibble of keccak(lowercase hex) is >= 8.
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    out += nibble >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

export type AddressCheck = { ok: true; bytes: Uint8Array } | { ok: false; message: string };

/**
 * Accepts only EIP-55 checksummed addresses: a settlement address with a typo
 * would send refunds nowhere, and the checksum is what catches typos.
 */
export function checkChecksumAddress(s: unknown): AddressCheck {
  if (typeof s !== "string" || !ADDRESS_RE.test(s)) {
    return { ok: false, message: `expected a 0x-prefixed 20-byte address (42 characters), found ${typeof s === "string" ? JSON.stringify(s) : typeof s}` };
  }
  const body = s.slice(2);
  const checksummed = toChecksumAddress(s);
  if (s === checksummed) return { ok: true, bytes: new Uint8Array(Buffer.from(body, "hex")) };
  if (body === body.toLowerCase() || body === body.toUpperCase()) {
    return { ok: false, message: `expected an EIP-55 checksummed address, found ${s} without a checksum (single case); if the address is right, write it as ${checksummed}` };
  }
  return { ok: false, message: `expected an EIP-55 checksummed address, found ${s} whose checksum does not match: the address is probably mistyped` };
}
