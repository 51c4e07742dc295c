// A server's private key of one future key epoch, as it sits on disk between
// its announcement and the epoch's start (then it is deleted, docs/adr/0006).
import { Reader, Writer } from "../bytes.js";
import { ZipnetError } from "../errors.js";
import { X25519_KEY_BYTES } from "../proto.js";

export const EPOCH_KEY_FILE_VERSION = 1;
export const EPOCH_KEY_FILE_BYTES = 1 + 8 + X25519_KEY_BYTES;

export interface EpochKeyFile {
  readonly epoch: number;
  /** The raw X25519 scalar (x25519FromSecret turns it into the key pair). */
  readonly secret: Uint8Array;
}

export function encodeEpochKeyFile(f: EpochKeyFile): Uint8Array {
  if (f.secret.length !== X25519_KEY_BYTES) {
    throw new ZipnetError("ZIPNET_ENCODE_FIELD", `EpochKeyFile: the secret is ${X25519_KEY_BYTES} bytes.`, { field: "secret", got: f.secret.length });
  }
  return new Writer().u8(EPOCH_KEY_FILE_VERSION).u64(f.epoch).raw(f.secret).finish();
}

export function decodeEpochKeyFile(bytes: Uint8Array): EpochKeyFile {
  const r = new Reader(bytes, "EpochKeyFile");
  const v = r.u8("version");
  if (v !== EPOCH_KEY_FILE_VERSION) {
    throw new ZipnetError("ZIPNET_DECODE_VERSION", "EpochKeyFile: unknown version.", { what: "EpochKeyFile", expected: EPOCH_KEY_FILE_VERSION, got: v });
  }
  const epoch = r.u64("epoch");
  const secret = r.raw(X25519_KEY_BYTES, "secret");
  r.end();
  return { epoch, secret };
}
