import { getToken } from "next-auth/jwt";
import type { NextRequest } from "next/server";
import { handleTrpcFetch } from "@autoglm/api";
import { CLIENT_IP_HEADER, getPlatform } from "@/server/platform";
import { getSignInSettings } from "@/server/env";
import { sessionClaimsOf } from "@/server/session-claims";

export const dynamic = "force-dynamic";

async function handler(req: NextRequest): Promise<Response> {
  const platform = getPlatform();
  // The api's own fetch adapter: its @trpc/server instance made the router.
  return handleTrpcFetch(req, {
    db: platform.db,
    events: platform.events,
    // Read per request: apps/server sets it after the gateway is attached.
    runLoop: platform.runLoop,
    // The artifact store apps/server opened: model.register hashes trial files from it.
    artifacts: platform.artifacts,
    options: {
      allowedOrigins: platform.config.allowedOrigins,
      askLeaseMs: platform.config.askLeaseMs,
      optimizerTimeoutMs: platform.config.optimizerTimeoutMs,
      // Endpoint URLs (endpoint.*) are built on it.
      publicUrl: platform.config.publicUrl,
      webhooks: {
        authSecret: platform.config.authSecret,
        platformUrl: platform.config.publicUrl,
        allowPrivateTargets: platform.config.webhookAllowPrivateTargets ?? false,
        onQueued: () => platform.nudgeWebhooks?.(),
      },
      onInternalError: platform.onInternalError,
      onProcedure: platform.onProcedure,
      passwordSignUp: getSignInSettings().isPasswordEnabled,
    },
    // The api re-checks the session row, sessionVersion and disabled_at on every request (S4).
    getSession: async () =>
      sessionClaimsOf(await getToken({ req, secret: platform.config.authSecret, secureCookie: platform.config.secureCookies })),
    // Set by apps/server, which drops any client-sent value (proxy-aware only via TRUSTED_PROXIES).
    getClientIp: (r) => r.headers.get(CLIENT_IP_HEADER),
  });
}

export { handler as GET, handler as POST };
