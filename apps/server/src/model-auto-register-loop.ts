import type { ArtifactStore } from "@autoglm/artifacts";
import type { DbHandle } from "@autoglm/db/client";
import type { AppLogger } from "@autoglm/logging";
import { ModelAutoRegister, type TDomainEvent } from "@autoglm/api";
import { errorText } from "./server-logger.js";

export interface ModelAutoRegisterLoop {
  /** One pass now (tests; the timer calls it too). Never two at once in this process. */
  passNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the spec's `register` (ModelAutoRegister) every `intervalMs` (2 s: a new best is a version
 * within seconds), and tells the dashboards of the studies it registered from.
 */
export function startModelAutoRegister(deps: {
  db: DbHandle;
  artifacts: ArtifactStore;
  logger: AppLogger;
  publish: (event: TDomainEvent) => void;
  /** Webhook events were queued (a version, an alias move): wake the sender. */
  onQueued: () => void;
  intervalMs?: number;
}): ModelAutoRegisterLoop {
  const register = new ModelAutoRegister(
    { db: deps.db, artifacts: deps.artifacts },
    { logger: deps.logger, onQueued: deps.onQueued },
  );
  let running: Promise<void> | null = null;
  let stopped = false;
  const passNow = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    running ??= (async () => {
      try {
        for (const r of await register.pass()) deps.publish({ type: "study:updated", orgId: r.orgId, studyId: r.studyId });
      } catch (err) {
        deps.logger.error("automatic model registration pass failed", { error: errorText(err) });
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void passNow(), deps.intervalMs ?? 2_000).unref();
  return {
    passNow,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
