import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

/** The repository root (test/e2e/lib → ../../..). */
export const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
/** shared/ sits beside the repository, on developer machines and in CI. */
export const SHARED_DIR = resolve(REPO_ROOT, "../shared");
