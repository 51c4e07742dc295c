// Falsification tag: binds a message slot's datum to the footprint that won the
// slot. The footprint is public once round r is revealed, but the datum is not
// known to anyone but its sender until round r+1 is revealed, so a disruptor
// XOR-ing a delta into the slot cannot make the tag match (sha256 as a random
// oracle over the unknown datum). Cost: one sha256 over ~1 KiB (~2 µs).
import { createHash } from "node:crypto";
import { Writer } from "../bytes.js";
import { DATUM_BYTES, FOOTPRINT_BYTES, TAG_BYTES } from "../proto.js";
import { ZipnetError } from "../errors.js";

const LABEL = new TextEncoder().encode("zipnet/tag/v1");

export function falsificationTag(footprint: Uint8Array, round: number, slotIndex: number, datum: Uint8Array): Uint8Array {
  if (footprint.length !== FOOTPRINT_BYTES || datum.length !== DATUM_BYTES) {
    throw new ZipnetError("ZIPNET_VECTOR_LENGTH", "falsificationTag: footprint or datum has the wrong length.", {
      expected: `footprint ${FOOTPRINT_BYTES}, datum ${DATUM_BYTES}`,
      got: `footprint ${footprint.length}, datum ${datum.length}`,
    });
  }
  const head = new Writer().raw(LABEL).raw(footprint).u64(round).u32(slotIndex).finish();
  return new Uint8Array(createHash("sha256").update(head).update(datum).digest().subarray(0, TAG_BYTES));
}
