import { getToken } from "next-auth/jwt";
import type { NextRequest } from "next/server";
import { handleTrpcFetch } from "@autoglm/api";
import { getPlatform } from "@/server/platform";

export const dynamic = "force-dynamic";

async function handler(req: NextRequest): Promise<Response> {
  const platform = getPlatform();
  // The api's own fetch adapter: its @trpc/server instance made the router.
  return handleTrpcFetch(req, {
    db: platform.db,
    events: platform.events,
    // Read per request: apps/server sets it after the gateway is attached.
    runLoop: platform.runLoop,
    options: {
      allowedOrigins: platform.config.allowedOrigins,
      askLeaseMs: platform.config.askLeaseMs,
      onInternalError: platform.onInternalError,
    },
    // The api re-checks sessionVersion and disabled_at against the database on every request (S4).
    getSession: async () => {
      const token = await getToken({ req, secret: platform.config.authSecret, secureCookie: platform.config.secureCookies });
      return token && typeof token.userId === "string" && typeof token.sessionVersion === "number"
        ? { userId: token.userId, sessionVersion: token.sessionVersion }
        : null;
    },
  });
}

export { handler as GET, handler as POST };
