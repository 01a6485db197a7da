import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import {
  accessRevoked,
  authenticateCredentials,
  endUserSession,
  SESSION_MAX_AGE_MS,
  startUserSession,
  type PlatformHandle,
} from "@autoglm/api";
import { sameOriginPath } from "@/lib/safe-redirect";
import { getSignInSettings } from "./env";
import { authLogger, completeOidcSignIn, oidcProvider, OIDC_PROVIDER_ID } from "./oidc";
import { CLIENT_IP_HEADER, getPlatform } from "./platform";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string };
  }
  interface User {
    id: string;
    sessionVersion: number;
    sessionId: string;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    userId?: string;
    sessionVersion?: number;
    /** The sign-in's `user_sessions` row: sign-out revokes it, so a copied cookie dies too (S4). */
    sessionId?: string;
  }
}

/** 30 days, like the API token default; sign-out and sign-out-everywhere end it sooner (S4). */
const SESSION_MAX_AGE_S = SESSION_MAX_AGE_MS / 1000;

/**
 * Built per request from the platform handle: the secret lives in the data dir (or
 * AUTH_SECRET) and is only known once apps/server has started.
 */
export function getAuthOptions(): NextAuthOptions {
  const platform = getPlatform();
  const settings = getSignInSettings();
  return {
    secret: platform.config.authSecret,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/signin", error: "/signin" },
    useSecureCookies: platform.config.secureCookies,
    providers: [
      ...(settings.isPasswordEnabled ? [passwordProvider(platform)] : []),
      ...(settings.oidc ? [oidcProvider(settings.oidc)] : []),
    ],
    // next-auth's default logger prints whole errors, and a failed ID-token check carries the token.
    logger: authLogger,
    callbacks: {
      // OIDC only: the ID token is verified by now (signature, audience, nonce, expiry, and `iss`
      // against the discovered metadata); completeOidcSignIn checks `iss` against OUR setting.
      async signIn({ user, account, profile }) {
        if (account?.provider !== OIDC_PROVIDER_ID || !settings.oidc) return true;
        return completeOidcSignIn(platform.db, settings.oidc, user, profile);
      },
      jwt({ token, user }) {
        if (user) {
          token.userId = user.id;
          token.sessionVersion = user.sessionVersion;
          token.sessionId = user.sessionId;
        }
        return token;
      },
      // Same-origin targets only, judged as a browser parses them (see safe-redirect.ts).
      redirect({ url, baseUrl }) {
        return new URL(sameOriginPath(url, baseUrl, "/projects"), baseUrl).href;
      },
      session({ session, token }) {
        session.user = {
          id: token.userId ?? "",
          email: token.email ?? "",
          name: token.name ?? "",
        };
        return session;
      },
    },
    events: {
      // With JWT sessions next-auth only clears the cookie; ending the row server-side makes a
      // copy of the cookie taken before sign-out useless too.
      async signOut({ token }) {
        if (typeof token?.userId !== "string" || typeof token.sessionId !== "string") return;
        const ended = await endUserSession(platform.db, { userId: token.userId, sessionId: token.sessionId });
        // Its open dashboard sockets close at once, on every replica (S13); others stay.
        if (ended) platform.events.publish(accessRevoked.sessionEnded(token.userId, token.sessionId));
      },
    },
  };
}

/** Email and password, for the embedded default; AUTH_PASSWORD_SIGNIN=false leaves it out. */
function passwordProvider(platform: PlatformHandle) {
  return CredentialsProvider({
    name: "Email and password",
    credentials: {
      email: { label: "Email", type: "email" },
      password: { label: "Password", type: "password" },
    },
    async authorize(credentials, req) {
      const email = credentials?.email;
      const password = credentials?.password;
      if (typeof email !== "string" || typeof password !== "string") return null;
      const header = req?.headers?.[CLIENT_IP_HEADER];
      const ip = typeof header === "string" ? header : "unknown";
      try {
        const user = await authenticateCredentials(platform.db, { email, password, ip });
        const { sessionId } = await startUserSession(platform.db, { userId: user.id });
        return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion, sessionId };
      } catch (err) {
        const code = (err as { appCode?: unknown }).appCode;
        // The custom server answers 429 before this point (S6); this covers a race.
        if (code === "RATE_LIMITED") throw new Error("RateLimited");
        if (code === "INVALID_CREDENTIALS") return null;
        if (code === "SSO_ACCOUNT") throw new Error("SsoAccount");
        throw err;
      }
    },
  });
}
