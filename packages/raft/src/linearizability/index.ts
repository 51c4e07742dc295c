export * from "./model.js";
export * from "./check.js";
