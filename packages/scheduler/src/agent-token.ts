import { createHash } from "node:crypto";
import type { DbHandle } from "@autoglm/db/client";
import { AGENT_SCOPE } from "@autoglm/protocol";

export interface AgentPrincipal {
  orgId: string;
  tokenId: string;
  userId: string;
}

export type VerifyAgentToken = (token: string) => Promise<AgentPrincipal | null>;

/** Tokens look like `agl_<random><checksum>` (CONTRACT.md); anything else needs no query. */
const TOKEN_SHAPE = /^agl_[A-Za-z0-9_-]{20,200}$/;

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * The agent handshake's token check, used when the server does not inject the api's own
 * verifier: a live (not revoked, not expired) token with the `agent` scope whose user is
 * not disabled. Lookup is by sha256 of the whole token (the token itself is never stored).
 */
export function createDbTokenVerifier(handle: DbHandle): VerifyAgentToken {
  return async (token) => {
    if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) return null;
    const rows = await handle.query<{ id: string; org_id: string; user_id: string }>(
      `UPDATE api_tokens t SET last_used_at = now()
       FROM users u
       WHERE t.token_hash = $1 AND u.id = t.user_id AND u.disabled_at IS NULL
         AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
         AND $2 = ANY(t.scopes)
       RETURNING t.id, t.org_id, t.user_id`,
      [hashToken(token), AGENT_SCOPE],
    );
    const r = rows[0];
    return r ? { orgId: String(r.org_id), tokenId: String(r.id), userId: String(r.user_id) } : null;
  };
}

/**
 * Whether a token an agent connected with is still live (not revoked or expired, owner not
 * disabled). Agents hold one socket for days; the gateway re-checks on heartbeats so a
 * revoked token stops working within a minute (S3), without keeping the raw token around.
 */
export async function isAgentTokenLive(handle: DbHandle, tokenId: string): Promise<boolean> {
  const rows = await handle.query(
    `SELECT 1 FROM api_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.id = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
       AND u.disabled_at IS NULL AND $2 = ANY(t.scopes)`,
    [tokenId, AGENT_SCOPE],
  );
  return rows.length > 0;
}
