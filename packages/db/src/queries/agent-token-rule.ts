import { sql, type SQL } from "drizzle-orm";
import type { AGENT_SCOPE as TAgentScopeName } from "@autoglm/protocol";

/** Protocol's AGENT_SCOPE, typed against it (this package loads protocol for types only). */
const AGENT_SCOPE: typeof TAgentScopeName = "agent";

/**
 * Roles whose tokens may run an agent (S13): a viewer watches and never runs trials, so a
 * viewer's token, or a member's demoted to viewer, never connects, registers or leases.
 */
const AGENT_ROLES = ["owner", "admin", "member"] as const;

/**
 * THE rule for "this API token may act as an agent", as SQL over a token row `tk`, its owner
 * `tu` and the owner's membership `tm` in the token's team: live (not revoked, not expired),
 * the `agent` scope, an enabled owner who is still a member of the token's team with a role
 * that may act. The handshake, registration, every lease and every write of an agent use it,
 * so removing, demoting or deactivating the owner stops the token everywhere at once.
 */
export function agentTokenMayActSql(tk = "tk", tu = "tu", tm = "tm"): string {
  return `${tk}.revoked_at IS NULL AND (${tk}.expires_at IS NULL OR ${tk}.expires_at > now())
    AND '${AGENT_SCOPE}' = ANY(${tk}.scopes) AND ${tu}.disabled_at IS NULL
    AND ${tm}.role IN (${AGENT_ROLES.map((r) => `'${r}'`).join(", ")})`;
}

/** The joins `agentTokenMayActSql` reads, from a token row `tk`. */
export function agentTokenJoinsSql(tk = "tk", tu = "tu", tm = "tm"): string {
  return `JOIN users ${tu} ON ${tu}.id = ${tk}.user_id
    JOIN memberships ${tm} ON ${tm}.org_id = ${tk}.org_id AND ${tm}.user_id = ${tk}.user_id`;
}

/** The agent `agentId` holds a token that may act (for single-statement writes), as a condition. */
export function agentMayAct(agentId: string | null): SQL {
  return sql`EXISTS (
    SELECT 1 FROM agents ax JOIN api_tokens tk ON tk.id = ax.token_id AND tk.org_id = ax.org_id
    ${sql.raw(agentTokenJoinsSql())}
    WHERE ax.id = ${agentId}::uuid AND ${sql.raw(agentTokenMayActSql())})`;
}
