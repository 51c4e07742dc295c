import fs from "node:fs";

/** Makes a create/rename/unlink in `dir` durable: the entry lives in the directory's own data. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
