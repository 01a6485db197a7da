// The run loop's agent side: the gateway, leasing and the scheduler loop (index.ts re-exports it).
export * from "./agent-types.js";
export * from "./agent-token.js";
export * from "./agent-optimizer.js";
export * from "./agent-register.js";
export * from "./agent-metrics.js";
export * from "./agent-complete.js";
export * from "./agent-gateway.js";
export * from "./lease-trial.js";
export * from "./heartbeat.js";
export * from "./expire-leases.js";
export * from "./prune.js";
export * from "./retry.js";
export * from "./scheduler-loop.js";
export * from "./agent-list.js";
export * from "./access-revoked.js";
// The shared logger and clock of the run loop's options, for callers that take no @autoglm/protocol.
export type { Clock, Logger, PublishEvent } from "@autoglm/protocol";
