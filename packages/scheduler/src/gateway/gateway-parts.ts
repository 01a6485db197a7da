import type { DbHandle } from "@autoglm/db/client";
import type { Logger, PublishEvent } from "@autoglm/protocol";
import type { StudyOptimizers } from "../agent-optimizer.js";
import type { RunLoopConfig } from "../agent-types.js";
import type { TrialLifecycle } from "../lifecycle.js";
import type { AgentRegistry } from "./agent-registry.js";
import type { LeasePump } from "./lease-pump.js";
import type { TrialEnds } from "./trial-ends.js";
import type { ServingConfig } from "../serving/serving-config.js";
import type { ServingReconciler } from "../serving/serving-reconciler.js";

/** The gateway's parts, as its socket handlers reach them (attachAgentGateway builds them). */
export interface GatewayParts {
  db: DbHandle;
  /** The one way the gateway ends, stops, prunes or takes back a trial (shared with the SchedulerLoop when given). */
  lifecycle: TrialLifecycle<DbHandle>;
  logger: Logger;
  config: RunLoopConfig;
  /** Milliseconds on the gateway's clock (agents' last-seen times, token re-checks). */
  nowMs: () => number;
  registry: AgentRegistry;
  pump: LeasePump;
  ends: TrialEnds;
  optimizers: StudyOptimizers;
  publish?: PublishEvent | undefined;
  /** Serving replicas: the reconciler that places them and its timings. */
  serving: { reconciler: ServingReconciler; config: ServingConfig };
}
