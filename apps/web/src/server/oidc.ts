import type { Awaitable, LoggerInstance, User } from "next-auth";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { signInWithOidc, startUserSession, type PlatformHandle } from "@autoglm/api";
import type { TOidcSettings } from "./env";

export const OIDC_PROVIDER_ID = "oidc";

/** The `error` codes the sign-in page turns into sentences (sign-in-messages.ts). */
export const SSO_WRONG_ISSUER = "SsoWrongIssuer";
export const SSO_REFUSED = "SsoRefused";

type TClaims = Record<string, unknown>;

/**
 * next-auth's OIDC support (openid-client underneath): discovery, authorization code with
 * PKCE, state and nonce, and the ID token's signature checked against the provider's JWKS.
 */
export function oidcProvider(oidc: TOidcSettings): OAuthConfig<TClaims> {
  return {
    id: OIDC_PROVIDER_ID,
    name: oidc.name,
    type: "oauth",
    wellKnown: `${oidc.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`,
    clientId: oidc.clientId,
    clientSecret: oidc.clientSecret,
    authorization: { params: { scope: oidc.scopes } },
    idToken: true,
    checks: ["pkce", "state", "nonce"],
    // Placeholders until the signIn callback has found or created the platform's user.
    profile: (claims) => ({ id: String(claims.sub ?? ""), email: "", name: "", sessionVersion: 0, sessionId: "" }),
  };
}

function groupsOf(claims: TClaims, claim: string): string[] {
  const v = claims[claim];
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === "string").slice(0, 1000) : [];
}

/**
 * After next-auth verified the ID token: refuses a token of another issuer than the configured
 * one (discovery could name any), then signs in as the platform's user, created on first use.
 * Returns next-auth's signIn verdict: true, or where to send the browser instead.
 */
export async function completeOidcSignIn(
  db: PlatformHandle["db"],
  oidc: TOidcSettings,
  user: User,
  profile: object | undefined,
): Promise<true | string> {
  const claims = (profile ?? {}) as TClaims;
  if (claims.iss !== oidc.issuer) {
    console.error(`[auth] OIDC sign-in refused: the ID token's issuer is not AUTH_OIDC_ISSUER`);
    return `/signin?error=${SSO_WRONG_ISSUER}`;
  }
  try {
    const found = await signInWithOidc(db, {
      issuer: oidc.issuer,
      subject: typeof claims.sub === "string" ? claims.sub : "",
      email: typeof claims.email === "string" ? claims.email : null,
      emailVerified: claims.email_verified === true,
      name: typeof claims.name === "string" ? claims.name : null,
      groups: groupsOf(claims, oidc.groupsClaim),
    });
    const { sessionId } = await startUserSession(db, { userId: found.id });
    // next-auth mints the session cookie from this same object once signIn returns true.
    Object.assign(user, { id: found.id, email: found.email, name: found.name, sessionVersion: found.sessionVersion, sessionId });
    return true;
  } catch (err) {
    if ((err as { appCode?: unknown }).appCode === "SSO_REFUSED") return `/signin?error=${SSO_REFUSED}`;
    throw err;
  }
}

function describe(metadata: unknown): string {
  const m = metadata as { error?: { message?: unknown }; message?: unknown } | undefined;
  const message = m?.error?.message ?? m?.message ?? (metadata instanceof Error ? metadata.message : "");
  return typeof message === "string" ? message.slice(0, 300) : "";
}

/**
 * Codes and messages only: next-auth's default logger prints whole error objects, and
 * openid-client's errors carry the rejected ID token and the token response.
 */
export const authLogger: Partial<LoggerInstance> = {
  error(code: string, metadata: unknown): Awaitable<void> {
    console.error(`[auth] ${code}: ${describe(metadata)}`);
  },
  warn(code: string): Awaitable<void> {
    console.warn(`[auth] ${code}`);
  },
  debug(): Awaitable<void> {},
};
