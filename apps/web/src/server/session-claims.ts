import type { JWT } from "next-auth/jwt";
import type { TSessionClaims } from "@autoglm/api";

/**
 * The session claims the api checks on every call (S4), from the dashboard's session cookie.
 * A cookie without a session id (minted before sessions had ids) cannot be signed out:
 * it is refused like an ended session, and the user signs in again.
 */
export function sessionClaimsOf(token: JWT | null): TSessionClaims | null {
  if (!token || typeof token.userId !== "string" || typeof token.sessionVersion !== "number") return null;
  return {
    userId: token.userId,
    sessionVersion: token.sessionVersion,
    sessionId: typeof token.sessionId === "string" ? token.sessionId : "",
  };
}
