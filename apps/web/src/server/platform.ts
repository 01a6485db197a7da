import { PLATFORM_KEY, type PlatformHandle } from "@autoglm/api";

/**
 * The platform handle apps/server puts on globalThis before Next starts (its type and key
 * live in @autoglm/api, shared with the server). Next bundles route handlers apart from the
 * server's own modules, so this, not a module singleton, is how both see one database and
 * event bus.
 */
export function getPlatform(): PlatformHandle {
  const handle = (globalThis as Record<string, unknown>)[PLATFORM_KEY] as PlatformHandle | undefined;
  if (!handle) {
    throw new Error(
      "The Open-AutoGLM platform is not initialised: start the dashboard through apps/server (node apps/server/dist/main.js), not `next start`.",
    );
  }
  return handle;
}

/** The client address as the custom server saw it (it drops any client-sent value). */
export const CLIENT_IP_HEADER = "x-autoglm-client-ip";
