export { startRaftNode } from "./raft-node.js";
export type { RaftNode, RaftNodeOptions, RaftNodeStorage, ProposeOptions, ProposeResult, TimeoutOptions } from "./api.js";
export type { RaftTransport } from "./transport.js";
export { LocalNetwork, type LocalNetworkOptions } from "./local-transport.js";
export { RaftDriverError, type DriverErrorCode } from "./errors.js";
export type { RequestId } from "./envelope.js";
export type { WhenCondition } from "./waiters.js";
export { silentRaftLogger, type RaftLogger } from "./logger.js";
