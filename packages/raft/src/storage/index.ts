export { crc32c } from "./crc32c.js";
export { LOCK_FILE, lockDataDir, type DirLock, type LockOwner } from "./dir-lock.js";
export { RaftStorageError, WalCorruptError, type StorageErrorCode } from "./errors.js";
export { Wal, type WalOptions, type WalRecovery } from "./wal.js";
export type { TornTail } from "./wal-scan.js";
export type { WalRecord } from "./wal-record.js";
export { SnapshotStore, type SnapshotStoreOptions, type SkippedSnapshot } from "./snapshot-store.js";
export {
  DurableStorage,
  openDurableStorage,
  type DurableStorageOptions,
  type DurableRecovery,
  type PersistableReady,
} from "./durable-storage.js";
