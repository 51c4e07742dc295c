import { randomBytes } from "node:crypto";
import { constants, promises as fs } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DaemonError } from "./errors.js";
import { Secret } from "./secret.js";
import { SECRET_FILE_MAX_BYTES, formatMode, formatSecretText, isModeTooOpen, parseSecretText } from "./secretText.js";

export interface ReadSecretFileOptions {
  /** The env variable or flag that named the file; every error starts with it. */
  readonly name: string;
  /** Decoded length the file must hold. Default 32. */
  readonly bytes?: number;
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : undefined;
}

/**
 * Reads a hex secret file the way ssh reads a private key: it must be a
 * regular file that group and others cannot access. Permission and type are
 * checked on the opened descriptor, so a swap between check and read is not
 * possible.
 */
export async function readSecretFile(path: string, options: ReadSecretFileOptions): Promise<Secret> {
  const { name } = options;
  const expectedBytes = options.bytes ?? 32;
  let handle: fs.FileHandle;
  try {
    // Symlinks are followed (Kubernetes mounts secrets through them); the checks below apply to the target.
    handle = await fs.open(path, constants.O_RDONLY);
  } catch (e) {
    const code = errnoCode(e);
    if (code === "ENOENT") {
      throw new DaemonError("DAEMON_SECRET_MISSING", `${name}: secret file '${path}' does not exist; create it with \`builder gen-secret --out ${path}\``, { name, path });
    }
    throw new DaemonError("DAEMON_SECRET_MISSING", `${name}: cannot open secret file '${path}' (${code ?? String(e)}); check that the daemon's user can read it`, { name, path, errno: code }, { cause: e });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      throw new DaemonError("DAEMON_SECRET_NOT_A_FILE", `${name}: '${path}' is not a regular file; expected a file holding ${expectedBytes * 2} hex characters`, { name, path });
    }
    if (isModeTooOpen(st.mode)) {
      const mode = formatMode(st.mode);
      throw new DaemonError("DAEMON_SECRET_PERMISSIONS", `${name}: permissions ${mode} for '${path}' are too open; run chmod 0400 ${path}`, { name, path, mode });
    }
    if (st.size > SECRET_FILE_MAX_BYTES) {
      throw new DaemonError("DAEMON_SECRET_MALFORMED", `${name}: secret file '${path}' is ${st.size} bytes; a secret file holds ${expectedBytes * 2} hex characters (limit ${SECRET_FILE_MAX_BYTES} bytes)`, { name, path, size: st.size });
    }
    const buf = Buffer.alloc(SECRET_FILE_MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    try {
      return new Secret(parseSecretText(buf.subarray(0, bytesRead).toString("latin1"), { name, path }, expectedBytes));
    } finally {
      buf.fill(0);
    }
  } finally {
    await handle.close();
  }
}

export interface WriteSecretFileOptions {
  /** Replace an existing file. Without it an existing file is an error and is left untouched. */
  readonly overwrite?: boolean;
}

export interface WriteSecretFileResult {
  readonly path: string;
  readonly overwritten: boolean;
}

/**
 * Writes `bytes` as hex to `path` with mode 0400. The content goes to a
 * temporary file in the same directory first, so readers never see a
 * partial secret; without `overwrite` the final step is link(2), which fails
 * atomically if the target exists (no check-then-write race).
 */
export async function writeSecretFile(path: string, bytes: Uint8Array, options: WriteSecretFileOptions = {}): Promise<WriteSecretFileResult> {
  if (bytes.length === 0) {
    throw new DaemonError("DAEMON_SECRET_WRITE_FAILED", `refusing to write an empty secret to '${path}'`, { path });
  }
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o400);
  } catch (e) {
    const code = errnoCode(e);
    const hint = code === "ENOENT" ? `directory '${dir}' does not exist` : (code ?? String(e));
    throw new DaemonError("DAEMON_SECRET_WRITE_FAILED", `cannot create secret file '${path}': ${hint}`, { path, errno: code }, { cause: e });
  }
  let placed = false;
  try {
    try {
      await handle.writeFile(formatSecretText(bytes), "latin1");
      // umask can only clear bits, but an inherited ACL default could add some; state the mode explicitly.
      await handle.chmod(0o400);
      await handle.sync();
    } finally {
      await handle.close();
    }
    let overwritten = false;
    if (options.overwrite) {
      overwritten = await fs.stat(path).then(() => true, () => false);
      await fs.rename(tmp, path);
      placed = true;
    } else {
      try {
        await fs.link(tmp, path);
      } catch (e) {
        if (errnoCode(e) === "EEXIST") {
          throw new DaemonError("DAEMON_SECRET_EXISTS", `refusing to overwrite existing secret file '${path}'; pass --force to replace it (the old secret is lost)`, { path });
        }
        throw e;
      }
    }
    await syncDir(dir);
    return { path, overwritten };
  } catch (e) {
    if (e instanceof DaemonError) throw e;
    throw new DaemonError("DAEMON_SECRET_WRITE_FAILED", `cannot write secret file '${path}': ${errnoCode(e) ?? String(e)}`, { path }, { cause: e });
  } finally {
    if (!placed) await fs.unlink(tmp).catch(() => undefined);
  }
}

/** Makes the new directory entry durable (rename/link are metadata on the directory). */
async function syncDir(dir: string): Promise<void> {
  const d = await fs.open(dir, constants.O_RDONLY);
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
