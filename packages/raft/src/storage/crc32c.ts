// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78). Node 20's zlib has
// no crc32, and Castagnoli detects more error patterns in short records than
// IEEE CRC-32 at the same cost. Slicing-by-8 tables (8 KiB) fed by two
// aligned 32-bit loads per eight bytes: 1.25–1.35x the slicing-by-4 this
// replaced, side by side on 8 MiB (`pnpm bench raft-codec` prints its
// throughput beside native sha256), which matters because every WAL byte
// is checksummed on write and again on recovery, and a snapshot's tens of
// megabytes in slices on the event loop.

const POLY = 0x82f63b78;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const TABLES: readonly Uint32Array[] = (() => {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c >>> 0;
  }
  // tables[k][n]: the CRC register after byte n and then k zero bytes.
  const tables = [t0];
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1]!;
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (t0[prev[n]! & 0xff]! ^ (prev[n]! >>> 8)) >>> 0;
    tables.push(t);
  }
  return tables;
})();

/**
 * CRC-32C of `bytes`. Pass the previous result as `crc` to continue a
 * checksum over several chunks: crc32c(b, crc32c(a)) === crc32c(a ++ b).
 */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  // Bytes up to a 4-byte boundary of the underlying buffer, then eight at a time.
  for (; i < n && (bytes.byteOffset + i) % 4 !== 0; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  const words = Math.floor((n - i) / 8) * 2;
  if (words > 0) {
    const w = LITTLE_ENDIAN ? new Uint32Array(bytes.buffer, bytes.byteOffset + i, words) : null;
    for (let k = 0; k < words; k += 2, i += 8) {
      const lo = w ? w[k]! : bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
      const hi = w ? w[k + 1]! : bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24);
      c ^= lo;
      c = t7[c & 0xff]! ^ t6[(c >>> 8) & 0xff]! ^ t5[(c >>> 16) & 0xff]! ^ t4[c >>> 24]! ^ t3[hi & 0xff]! ^ t2[(hi >>> 8) & 0xff]! ^ t1[(hi >>> 16) & 0xff]! ^ t0[hi >>> 24]!;
    }
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
