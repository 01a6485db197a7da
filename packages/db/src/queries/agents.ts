import { and, eq, inArray } from "drizzle-orm";
import { agents } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";

/**
 * Names of the team's agents among `agentIds` (a trial's attempts show who ran them). Agents
 * belong to the team, not a project, so only `orgId` filters; an id of another team is absent.
 */
export async function findAgentNames(db: DbOrTx, scope: TenantScope, agentIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(agentIds)];
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: agents.id, name: agents.name })
    .from(agents)
    .where(and(eq(agents.orgId, scope.orgId), inArray(agents.id, ids)));
  return new Map(rows.map((r) => [r.id, r.name]));
}
