// The integrator facade: submit(config, opts) → Submitter, read(config, opts).
export * from "./client/errors.js";
export * from "./client/send-gate.js";
export * from "./client/submit.js";
export * from "./client/read.js";
