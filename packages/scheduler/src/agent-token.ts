import type { DbHandle } from "@autoglm/db/client";
import { AGENT_SCOPE } from "@autoglm/protocol";
import { hashApiToken, isWellFormedApiToken } from "@autoglm/protocol/api-token";

export interface AgentPrincipal {
  orgId: string;
  tokenId: string;
  userId: string;
  /** Set for a project-restricted token: its agents are leased only that project's trials. */
  projectId?: string | null;
}

export type VerifyAgentToken = (token: string) => Promise<AgentPrincipal | null>;

/**
 * Roles whose tokens may run an agent (S13): a viewer watches and never runs trials, so a
 * viewer's token, or a member's demoted to viewer, never connects, registers or leases.
 */
export const AGENT_ROLES = ["owner", "admin", "member"] as const;

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

/** SQL: the agent whose id is `agentIdExpr` holds a token that may act (for single-statement writes). */
export function agentMayActSql(agentIdExpr: string): string {
  return `EXISTS (
    SELECT 1 FROM agents ax JOIN api_tokens tk ON tk.id = ax.token_id AND tk.org_id = ax.org_id
    ${agentTokenJoinsSql()}
    WHERE ax.id = ${agentIdExpr} AND ${agentTokenMayActSql()})`;
}

/**
 * The agent handshake's token check, used when the server does not inject the api's own
 * verifier: a token that may act (agentTokenMayActSql). A token whose shape or checksum is
 * wrong is refused without a query, as the api refuses it; lookup is by the token's stored
 * hash (the token itself is never stored).
 */
export function createDbTokenVerifier(handle: DbHandle): VerifyAgentToken {
  return async (token) => {
    if (!isWellFormedApiToken(token)) return null;
    const rows = await handle.query<{ id: string; org_id: string; user_id: string; project_id: string | null }>(
      `UPDATE api_tokens t SET last_used_at = now()
       FROM api_tokens tk ${agentTokenJoinsSql()}
       WHERE tk.token_hash = $1 AND t.id = tk.id AND ${agentTokenMayActSql()}
       RETURNING t.id, t.org_id, t.user_id, t.project_id`,
      [hashApiToken(token)],
    );
    const r = rows[0];
    return r
      ? {
          orgId: String(r.org_id),
          tokenId: String(r.id),
          userId: String(r.user_id),
          projectId: r.project_id ? String(r.project_id) : null,
        }
      : null;
  };
}

/**
 * Whether a token an agent connected with may still act (agentTokenMayActSql). Revocation and
 * membership changes close the agent's socket at once through an `access:revoked` event; this
 * re-check on heartbeats is the backstop for what rings no bell (a token that expires).
 */
export async function isAgentTokenLive(handle: DbHandle, tokenId: string): Promise<boolean> {
  const rows = await handle.query(
    `SELECT 1 FROM api_tokens tk ${agentTokenJoinsSql()} WHERE tk.id = $1 AND ${agentTokenMayActSql()}`,
    [tokenId],
  );
  return rows.length > 0;
}

/** Whether an agent's current token may act: a refused write tells UNAUTHORIZED from a stale lease. */
export async function canAgentAct(handle: DbHandle, agentId: string): Promise<boolean> {
  const rows = await handle.query<{ ok: boolean }>(`SELECT ${agentMayActSql("$1")} AS ok`, [agentId]);
  return rows[0]?.ok === true;
}
