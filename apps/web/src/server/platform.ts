import type { TEventSink, TPlatformEvent } from "@autoglm/api";
import type { DbHandle } from "@autoglm/db/client";

/**
 * The platform handle apps/server puts on globalThis before Next starts (same key as
 * apps/server/src/platform.ts). Next bundles route handlers apart from the server's own
 * modules, so this, not a module singleton, is how both see one database and event bus.
 */
const PLATFORM_KEY = "__autoglmPlatform";

export interface PlatformHandle {
  db: DbHandle;
  /** The api's events: live-update doorbells and `access.revoked` (the server closes those connections). */
  events: TEventSink & { subscribe(listener: (event: TPlatformEvent) => void): () => void };
  config: {
    authSecret: string;
    publicUrl: string;
    secureCookies: boolean;
    allowedOrigins: string[];
    askLeaseMs?: number | undefined;
    optimizerTimeoutMs?: number | undefined;
  };
  /** Unexpected (500) errors of the api; gets path and error, never secrets. */
  onInternalError(info: { path: string; error: unknown }): void;
  /**
   * The run loop's agent gateway (`attachAgentGateway` of @autoglm/scheduler), when this
   * process runs one: `trial.stop` / `study.stop` then reach the agents at once instead of at
   * their next heartbeat. Same shape as the api's `TApiDeps.runLoop`.
   */
  runLoop?: {
    stopTrial(input: { orgId: string; trialId: string; reason?: string }): Promise<unknown>;
    stopStudyTrials(input: { orgId: string; studyId: string; reason?: string }): Promise<unknown>;
  };
}

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
