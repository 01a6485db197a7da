import type { DbHandle } from "@autoglm/db/client";
import type { TDomainEvent } from "@autoglm/protocol";
import type { TApiOptions, TRunLoopHooks } from "./context.js";
import type { TEventSink } from "./events.js";
import type { TArtifactReader } from "./artifact-reader.js";

/**
 * What apps/server hands to the Next route handlers of apps/web running in the same process.
 * Next bundles route modules apart from the server's own, so a module-level singleton would
 * not be shared: the handle travels on `globalThis[PLATFORM_KEY]`. Its type lives here because
 * both apps import @autoglm/api, while apps/web may not import apps/server (the server
 * serves the web app: that edge would close a cycle in the package graph).
 */
export const PLATFORM_KEY = "__autoglmPlatform";

/** The process's event bus: the api publishes, the server's Socket.IO layer subscribes. */
export interface PlatformEvents extends TEventSink {
  subscribe(listener: (event: TDomainEvent) => void): () => void;
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
    /** WEBHOOK_ALLOW_PRIVATE_TARGETS: team webhooks may reach loopback and private addresses. */
    webhookAllowPrivateTargets?: boolean | undefined;
  };
  /**
   * The agent gateway of this process, when it runs one: the api's `trial.stop` / `study.stop`
   * tell running agents through it at once instead of at their next heartbeat.
   */
  runLoop?: TRunLoopHooks;
  /** The artifact store the server opened (ARTIFACT_STORE): `model.register` hashes trial files from it. */
  artifacts?: TArtifactReader;
  /** Wakes this process's webhook sender after a procedure queued a delivery. */
  nudgeWebhooks?: () => void;
  /** Unexpected (500) errors of the api; gets path and error, never secrets. */
  onInternalError(info: { path: string; error: unknown }): void;
  /** Every tRPC call's path, kind, code and duration: the server's metrics. */
  onProcedure?: TApiOptions["onProcedure"];
}
