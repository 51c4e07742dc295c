import fs from "node:fs";
import { open } from "node:fs/promises";

/** Makes a create/rename/unlink in `dir` durable: the entry lives in the directory's own data. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsyncDir on the thread pool, for writers that must not block the event loop. */
export async function fsyncDirAsync(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
