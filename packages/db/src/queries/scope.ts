import type { Db } from "../client.js";

/**
 * Who the caller acts for. Every tenant query takes one and builds its own `where` from it:
 * `orgId` always, `projectId` when an API token is restricted to one project. The api's
 * authorization layer mints it once per request; nothing else decides tenancy.
 */
export interface TenantScope {
  orgId: string;
  /** Set for project-restricted API tokens: rows of other projects look missing. */
  projectId?: string | null;
}

/** A database or a transaction of it (drizzle's transaction is a database too). */
export type DbOrTx = Db;

/** Who did something, for audit rows. */
export interface Actor {
  userId: string | null;
  tokenId?: string | null;
}

export type TRole = "owner" | "admin" | "member" | "viewer";
export const ROLE_RANK: Record<TRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
