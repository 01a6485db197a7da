import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { createLogger } from "@autoglm/logging";
import type { Logger } from "@autoglm/protocol";
import type { AgentCore } from "./agent-core.js";
import type { AgentPart } from "./agent-part.js";
import { resolveAgentSettings, type AgentOptions } from "./agent-options.js";
import { announceDraining, announceFreeSlots } from "./capacity-doorbell.js";
import { AgentConnection } from "./connection.js";
import { trialLeases } from "./lease-handler.js";
import { startAgentMetrics, type AgentMetricsServer } from "./metrics/agent-metrics.js";
import { pauseWatchdog } from "./pause-watchdog.js";
import { Registration } from "./registration.js";
import { servingReplicas, type RunningReplicaInfo } from "./serve/replica-supervisor.js";
import { SlotTable, type RunningTrialInfo } from "./slot-table.js";
import { TrialLauncher, trialUserOf } from "./trial-launcher.js";
import { trialSignals } from "./trial-signals.js";

export type { AgentOptions } from "./agent-options.js";
export type { RunningTrialInfo } from "./slot-table.js";
export type { RunningReplicaInfo } from "./serve/replica-supervisor.js";

export interface RunningAgent {
  /** Resolves once the agent has registered the first time. */
  readonly registered: Promise<string>;
  agentId(): string | null;
  isConnected(): boolean;
  trials(): RunningTrialInfo[];
  /** Serving replicas this agent runs (starting or ready). */
  replicas(): RunningReplicaInfo[];
  /** `http://host:port/metrics` when `metricsPort` was given, else null. */
  readonly metricsUrl: string | null;
  /**
   * Agent events for tests and the CLI: "registered", "lease", "trial-exit", "stale", "prune",
   * "disconnect", "replica-ready" (id, url), "replica-ended" (id, outcome, reason).
   */
  events: EventEmitter;
  /**
   * Graceful shutdown (R10): accept no new trials, SIGTERM the running ones, give them
   * `shutdownGraceMs` to checkpoint, hand them back (no attempt spent), then disconnect.
   */
  stop(): Promise<void>;
}

/**
 * Every line carries the agent's id once it has registered (an agent's log is read after the
 * fact, beside the server's, and joined on it), whichever logger the caller gave.
 */
function withAgentId(logger: Logger, agentId: () => string | null): Logger {
  const fieldsOf = (f?: Record<string, unknown>) => {
    const id = agentId();
    return id ? { agentId: id, ...f } : f;
  };
  return {
    debug: (m, f) => logger.debug(m, fieldsOf(f)),
    info: (m, f) => logger.info(m, fieldsOf(f)),
    warn: (m, f) => logger.warn(m, fieldsOf(f)),
    error: (m, f) => logger.error(m, fieldsOf(f)),
  };
}

/**
 * The agent: a connection (registration, heartbeats, reconnects), a slot table, and parts that
 * answer the server's messages, each in its own module. startAgent only wires them.
 */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  // Registration needs the logger, and the logger the id registration learns: read it later.
  const agentIdRef: { read(): string | null } = { read: () => null };
  const logger = withAgentId(options.logger ?? createLogger({ name: "agent", format: "pretty" }), () => agentIdRef.read());
  const settings = await resolveAgentSettings(options, options.env ?? process.env);
  const launcher = new TrialLauncher(settings, trialUserOf(options.runAs), options.runtimeDir, logger);
  const events = new EventEmitter();
  const parts: AgentPart[] = [];
  let stopping = false;
  const isStopping = () => stopping;
  const connection = new AgentConnection(settings, {
    logger,
    events,
    isStopping,
    onTokenRefused: () => parts.forEach((p) => p.onTokenRefused?.()),
  });
  const slots: SlotTable = new SlotTable(settings.gpus, settings.maxTrials, events, () =>
    announceFreeSlots(connection, slots, isStopping),
  );
  const registration = new Registration(settings, connection, { logger, events, parts, isStopping });
  agentIdRef.read = () => registration.agentId();
  const core: AgentCore = { settings, logger, events, connection, registration, slots, launcher, isStopping };
  // A new part is one more entry here.
  const serving = servingReplicas(core);
  parts.push(trialLeases(core), trialSignals(core), pauseWatchdog(core), serving);
  let metrics: AgentMetricsServer | null = null;
  if (options.metricsPort !== undefined) {
    try {
      metrics = await startAgentMetrics(core, { port: options.metricsPort, host: options.metricsHost ?? "127.0.0.1" });
    } catch (err) {
      // The port is taken (EADDRINUSE) or not ours: no half-started agent stays connected.
      registration.close();
      for (const p of parts) p.close?.();
      connection.close();
      throw err;
    }
  }

  return {
    registered: registration.registered,
    agentId: () => registration.agentId(),
    isConnected: () => connection.isReady(),
    trials: () => slots.info(),
    replicas: () => serving.info(),
    metricsUrl: metrics?.url ?? null,
    events,
    async stop() {
      if (stopping) return;
      stopping = true;
      await announceDraining(connection, settings.ackTimeoutMs);
      const handedBack = await Promise.all(parts.map((p) => p.drain?.() ?? 0));
      registration.close();
      for (const p of parts) p.close?.();
      connection.close();
      await metrics?.close();
      logger.info("stopped", { handedBack: handedBack.reduce((a, b) => a + b, 0) });
    },
  };
}

/** A stable default name for tests that start several agents on one host. */
export function randomAgentName(prefix = "agent"): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
