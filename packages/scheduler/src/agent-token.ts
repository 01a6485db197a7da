import type { DbHandle } from "@autoglm/db/client";
import { agentMayActById, agentTokenMayActById, touchAgentTokenByHash } from "@autoglm/db/queries";
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
 * The agent handshake's token check, used when the server does not inject the api's own
 * verifier: a token that may act (agentTokenMayActSql in @autoglm/db's queries). A token whose shape or checksum is
 * wrong is refused without a query, as the api refuses it; lookup is by the token's stored
 * hash (the token itself is never stored).
 */
export function createDbTokenVerifier(handle: DbHandle): VerifyAgentToken {
  return async (token) => {
    if (!isWellFormedApiToken(token)) return null;
    return touchAgentTokenByHash(handle, hashApiToken(token));
  };
}

/**
 * Whether a token an agent connected with may still act (agentTokenMayActSql in @autoglm/db's queries). Revocation and
 * membership changes close the agent's socket at once through an `access:revoked` event; this
 * re-check on heartbeats is the backstop for what rings no bell (a token that expires).
 */
export async function isAgentTokenLive(handle: DbHandle, tokenId: string): Promise<boolean> {
  return agentTokenMayActById(handle, tokenId);
}

/** Whether an agent's current token may act: a refused write tells UNAUTHORIZED from a stale lease. */
export async function canAgentAct(handle: DbHandle, agentId: string): Promise<boolean> {
  return agentMayActById(handle, agentId);
}
