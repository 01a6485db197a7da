import { desc, eq, getTableColumns } from "drizzle-orm";
import { auditLog, users } from "../schema.js";
import type { Actor, DbOrTx, TenantScope } from "./scope.js";

export interface TAuditEntry {
  orgId: string | null;
  actor: Actor;
  /** `namespace.verb`: `study.create`, `trial.tell`, `token.revoke`, `membership.update`. */
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
}

/** Unscoped: the entry names its own team, or none for account events (sign-up, password change). */
export async function writeAudit(db: DbOrTx, entry: TAuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    orgId: entry.orgId,
    actorUserId: entry.actor.userId,
    actorTokenId: entry.actor.tokenId ?? null,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: entry.details ?? {},
  });
}

export async function listAudit(db: DbOrTx, scope: TenantScope, input: { limit: number }) {
  return db
    .select({ ...getTableColumns(auditLog), actorEmail: users.email })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorUserId))
    .where(eq(auditLog.orgId, scope.orgId))
    .orderBy(desc(auditLog.id))
    .limit(input.limit);
}
