import { sql } from "drizzle-orm";
import { agentMayAct, agentTokenJoinsSql, agentTokenMayActSql } from "./agent-token-rule.js";
import { runStatement, type SqlDb } from "./sql-runner.js";

export interface TAgentTokenRow {
  tokenId: string;
  orgId: string;
  userId: string;
  /** Set for a project-restricted token: its agents are leased only that project's trials. */
  projectId: string | null;
}

/**
 * Unscoped: the hash is the credential; the row names its team.
 * The agent handshake: the token stored under `tokenHash` when it may act (agentTokenMayActSql),
 * stamped as used; null otherwise.
 */
export async function touchAgentTokenByHash(db: SqlDb, tokenHash: string): Promise<TAgentTokenRow | null> {
  const rows = await runStatement<{ id: string; org_id: string; user_id: string; project_id: string | null }>(
    db,
    "agent_token_by_hash",
    sql`UPDATE api_tokens t SET last_used_at = now()
       FROM api_tokens tk ${sql.raw(agentTokenJoinsSql())}
       WHERE tk.token_hash = ${tokenHash} AND t.id = tk.id AND ${sql.raw(agentTokenMayActSql())}
       RETURNING t.id, t.org_id, t.user_id, t.project_id`,
  );
  const r = rows[0];
  return r
    ? { tokenId: String(r.id), orgId: String(r.org_id), userId: String(r.user_id), projectId: r.project_id ?? null }
    : null;
}

/** Unscoped: the token an agent connected with. Whether it may still act (agentTokenMayActSql). */
export async function agentTokenMayActById(db: SqlDb, tokenId: string): Promise<boolean> {
  const rows = await runStatement<{ ok: number }>(
    db,
    "agent_token_may_act",
    sql`SELECT 1 AS ok FROM api_tokens tk ${sql.raw(agentTokenJoinsSql())} WHERE tk.id = ${tokenId} AND ${sql.raw(agentTokenMayActSql())}`,
  );
  return rows.length > 0;
}

/** Unscoped: a connected agent. Whether its current token may act: a refused write tells UNAUTHORIZED from a stale lease. */
export async function agentMayActById(db: SqlDb, agentId: string): Promise<boolean> {
  const rows = await runStatement<{ ok: boolean }>(db, "agent_may_act", sql`SELECT ${agentMayAct(agentId)} AS ok`);
  return rows[0]?.ok === true;
}
