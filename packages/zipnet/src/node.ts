// The zipnet roles as factories: startZipnetServer, startZipnetAggregator.
export * from "./node/ids.js";
export * from "./node/rate-policy.js";
export * from "./node/wire.js";
export * from "./node/replicated.js";
export * from "./node/round-opener.js";
export * from "./node/server-keys.js";
export * from "./node/server.js";
export * from "./node/aggregator.js";
export * from "./node/epoch-keys.js";
