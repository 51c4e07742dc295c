export * from "./prng.js";
export * from "./event-queue.js";
export * from "./kv-machine.js";
export * from "./sim-node.js";
export * from "./simulation.js";
export * from "./cluster.js";
export * from "./suite.js";
