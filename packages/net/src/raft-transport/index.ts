export * from "./batch-codec.js";
export * from "./errors.js";
export * from "./metrics.js";
export * from "./send-queue.js";
export * from "./transport.js";
