// The run loop's agent side: the gateway, leasing and the scheduler loop (index.ts re-exports it).
export * from "./agent-types.js";
export * from "./agent-token.js";
export * from "./agent-optimizer.js";
export * from "./agent-register.js";
export * from "./agent-metrics.js";
export * from "./agent-gateway.js";
export * from "./lease-trial.js";
export * from "./heartbeat.js";
// The trial lifecycle both sides share (ending, stopping, expiring, completing):
export * from "./lifecycle.js";
export * from "./lifecycle/end-attempt.js";
export * from "./lifecycle/agent-complete.js";
export * from "./lifecycle/expire-leases.js";
export * from "./lifecycle/stop-trial.js";
export * from "./lifecycle/stop-study-trials.js";
export * from "./lifecycle/study-completion.js";
export * from "./lifecycle/insert-trial.js";
export * from "./scheduler-loop.js";
export * from "./agent-list.js";
export * from "./access-revoked.js";
// The shared logger and clock of the run loop's options, for callers that take no @autoglm/protocol.
export type { Clock, Logger, PublishEvent } from "@autoglm/protocol";
export { replicaSecretOf } from "./serving/replica-secret.js";
export type { ServingConfig } from "./serving/serving-config.js";
export type { ServingReconciler } from "./serving/serving-reconciler.js";
