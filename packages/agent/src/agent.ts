import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Logger } from "@autoglm/protocol";
import type { AgentCore, AgentPart } from "./agent-core.js";
import { resolveAgentSettings, type AgentOptions } from "./agent-options.js";
import { announceDraining, announceFreeSlots } from "./capacity-doorbell.js";
import { AgentConnection } from "./connection.js";
import { trialLeases } from "./lease-handler.js";
import { pauseWatchdog } from "./pause-watchdog.js";
import { Registration } from "./registration.js";
import { SlotTable, type RunningTrialInfo } from "./slot-table.js";
import { TrialLauncher, trialUserOf } from "./trial-launcher.js";
import { trialSignals } from "./trial-signals.js";

export type { AgentOptions } from "./agent-options.js";
export type { RunningTrialInfo } from "./slot-table.js";

export interface RunningAgent {
  /** Resolves once the agent has registered the first time. */
  readonly registered: Promise<string>;
  agentId(): string | null;
  isConnected(): boolean;
  trials(): RunningTrialInfo[];
  /** Agent events for tests and the CLI: "registered", "lease", "trial-exit", "stale", "prune", "disconnect". */
  events: EventEmitter;
  /**
   * Graceful shutdown (R10): accept no new trials, SIGTERM the running ones, give them
   * `shutdownGraceMs` to checkpoint, hand them back (no attempt spent), then disconnect.
   */
  stop(): Promise<void>;
}

/** One line per event, timestamped: an agent's log is read after the fact, beside the server's. */
const line = (m: string, f?: Record<string, unknown>) =>
  `${new Date().toISOString()} [agent] ${m}${f ? ` ${JSON.stringify(f)}` : ""}`;
const consoleLogger: Logger = {
  info: (m, f) => console.log(line(m, f)),
  warn: (m, f) => console.warn(line(m, f)),
  error: (m, f) => console.error(line(m, f)),
};

/**
 * The agent: a connection (registration, heartbeats, reconnects), a slot table, and parts that
 * answer the server's messages, each in its own module. startAgent only wires them.
 */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const logger = options.logger ?? consoleLogger;
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
  const core: AgentCore = { settings, logger, events, connection, registration, slots, launcher, isStopping };
  // A new part (a serving loop, say) is one more entry here.
  parts.push(trialLeases(core), trialSignals(core), pauseWatchdog(core));

  return {
    registered: registration.registered,
    agentId: () => registration.agentId(),
    isConnected: () => connection.isReady(),
    trials: () => slots.info(),
    events,
    async stop() {
      if (stopping) return;
      stopping = true;
      await announceDraining(connection, settings.ackTimeoutMs);
      const handedBack = await Promise.all(parts.map((p) => p.drain?.() ?? 0));
      registration.close();
      for (const p of parts) p.close?.();
      connection.close();
      logger.info("stopped", { handedBack: handedBack.reduce((a, b) => a + b, 0) });
    },
  };
}

/** A stable default name for tests that start several agents on one host. */
export function randomAgentName(prefix = "agent"): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
