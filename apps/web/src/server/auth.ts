import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { authenticateCredentials } from "@autoglm/api";
import { CLIENT_IP_HEADER, getPlatform } from "./platform";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string };
  }
  interface User {
    id: string;
    sessionVersion: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    userId?: string;
    sessionVersion?: number;
  }
}

/** 30 days, like the API token default; sign-out-everywhere ends it sooner (S4). */
const SESSION_MAX_AGE_S = 30 * 24 * 60 * 60;

/**
 * Built per request from the platform handle: the secret lives in the data dir (or
 * AUTH_SECRET) and is only known once apps/server has started.
 */
export function getAuthOptions(): NextAuthOptions {
  const platform = getPlatform();
  return {
    secret: platform.config.authSecret,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/signin", error: "/signin" },
    useSecureCookies: platform.config.secureCookies,
    providers: [
      CredentialsProvider({
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
            return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
          } catch (err) {
            const code = (err as { appCode?: unknown }).appCode;
            // The custom server answers 429 before this point (S6); this covers a race.
            if (code === "RATE_LIMITED") throw new Error("RateLimited");
            if (code === "INVALID_CREDENTIALS") return null;
            throw err;
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.userId = user.id;
          token.sessionVersion = user.sessionVersion;
        }
        return token;
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
  };
}
