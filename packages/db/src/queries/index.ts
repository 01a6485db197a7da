// Tenant-scoped query functions: every function that touches tenant data takes a
// TenantScope (orgId, and projectId for project-restricted tokens) and builds its own
// `where`, so no router can forget it. Functions named by id only (lockStudyById,
// findTokenByHash, findInvitationByHash) are for system jobs and capability lookups.
export * from "./scope.js";
export * from "./users.js";
export * from "./orgs.js";
export * from "./projects.js";
export * from "./studies.js";
export * from "./trials.js";
export * from "./tokens.js";
export * from "./audit.js";
export * from "./agents.js";
export * from "./rate-limits.js";
export * from "./user-sessions.js";
export * from "./auth-attempts.js";
export { withTransaction } from "./tx.js";
