// The query layer: a function of tenant data takes the TenantScope second, `fn(db, scope, …)`,
// and builds its own `where` from it, so no router can forget it. The exceptions (ids a
// scoped lock already resolved, named `…ById`; identity lookups; sweeps) are listed with
// their reasons in tenancy.test.ts, which fails on any other unscoped export.
export * from "./scope.js";
export * from "./users.js";
export * from "./orgs.js";
export * from "./projects.js";
export * from "./studies.js";
export * from "./trials.js";
export * from "./plot-trials.js";
export * from "./tokens.js";
export * from "./audit.js";
export * from "./agents.js";
export * from "./rate-limits.js";
export * from "./user-sessions.js";
export * from "./auth-attempts.js";
export * from "./sso.js";
export * from "./trial-end.js";
export * from "./trial-insert.js";
export * from "./trial-enqueued.js";
export * from "./warm-start.js";
export * from "./trial-stop.js";
export * from "./study-completion.js";
export * from "./agent-tokens.js";
export * from "./agent-registry.js";
export * from "./agent-leases.js";
export * from "./trial-end-and-lease.js";
export * from "./agent-heartbeats.js";
export * from "./agent-metrics.js";
export * from "./trial-artifacts.js";
export * from "./artifact-retention.js";
export * from "./study-optimizer.js";
export * from "./platform-gauges.js";
export type { SqlDb } from "./sql-runner.js";
export { withTransaction } from "./tx.js";
export * from "./webhook-outbox.js";
export * from "./models.js";
export * from "./model-versions.js";
export * from "./model-registration-source.js";
export * from "./webhooks.js";
export * from "./study-stop-when.js";
export * from "./model-auto-register.js";
