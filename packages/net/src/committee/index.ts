export * from "./errors.js";
export * from "./options.js";
export * from "./applied-feed.js";
export * from "./forward-codec.js";
export * from "./forward.js";
export * from "./metrics.js";
export * from "./committee.js";
