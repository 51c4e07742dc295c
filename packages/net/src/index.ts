import "@builder/polyfill";

export * from "./errors.js";
export * from "./metrics.js";
export * from "./logger.js";
export * from "./identity.js";
export * from "./host.js";
export * from "./framing.js";
export * from "./admission-transcript.js";
export * from "./admission.js";
export * from "./attestation.js";
export * from "./tdx.js";
export * from "./tickets.js";
export * from "./ticket-guard.js";
export * from "./raft-transport/index.js";
export * from "./discovery/announcement.js";
export * from "./discovery/table.js";
export * from "./discovery/service.js";
export * from "./collections/index.js";
