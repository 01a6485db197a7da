import type { DbHandle } from "@autoglm/db/client";
import type { PlatformEvent } from "./socket.js";

/**
 * What the server hands to the Next route handlers running in the same process. Next
 * bundles route modules separately from this file, so a module-level singleton would not be
 * shared; a `globalThis` key is (apps/web/src/server/platform.ts reads the same key).
 */
export const PLATFORM_KEY = "__autoglmPlatform";

export interface PlatformEvents {
  publish(event: PlatformEvent): void;
  subscribe(listener: (event: PlatformEvent) => void): () => void;
}

export interface PlatformHandle {
  db: DbHandle;
  events: PlatformEvents;
  config: {
    authSecret: string;
    publicUrl: string;
    secureCookies: boolean;
    /** Origins whose cookie-borne mutations the api accepts (S5). */
    allowedOrigins: string[];
    /** Overrides the studies' ask-lease length (ms); unset in production. */
    askLeaseMs?: number | undefined;
    /** Budget of one optimizer call (OPTIMIZER_TIMEOUT_MS). */
    optimizerTimeoutMs?: number | undefined;
  };
  /**
   * The agent gateway of this process: the api's `trial.stop` / `study.stop` tell running
   * agents through it at once instead of at their next heartbeat.
   */
  runLoop?: {
    stopTrial(input: { orgId: string; trialId: string; reason?: string }): Promise<unknown>;
    stopStudyTrials(input: { orgId: string; studyId: string; reason?: string }): Promise<unknown>;
  };
  /** Unexpected (500) errors of the api; gets path and error, never secrets. */
  onInternalError(info: { path: string; error: unknown }): void;
}

export function setPlatform(handle: PlatformHandle | undefined): void {
  const g = globalThis as Record<string, unknown>;
  if (handle) g[PLATFORM_KEY] = handle;
  else delete g[PLATFORM_KEY];
}

/** A minimal in-process event bus; listeners never break the publisher. */
export function createLocalEvents(onError: (err: unknown) => void): PlatformEvents {
  const listeners = new Set<(event: PlatformEvent) => void>();
  return {
    publish(event) {
      for (const l of listeners) {
        try {
          l(event);
        } catch (err) {
          onError(err);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
