import type { EventEmitter } from "node:events";
import type { Logger } from "@autoglm/protocol";
import type { AgentSettings } from "./agent-options.js";
import type { AgentConnection } from "./connection.js";
import type { Registration } from "./registration.js";
import type { SlotTable } from "./slot-table.js";
import type { TrialLauncher } from "./trial-launcher.js";

/** What every part of the agent is given: the settings and the shared pieces. */
export interface AgentCore {
  readonly settings: AgentSettings;
  readonly logger: Logger;
  /** The agent's public events (RunningAgent.events). */
  readonly events: EventEmitter;
  readonly connection: AgentConnection;
  readonly registration: Registration;
  readonly slots: SlotTable;
  readonly launcher: TrialLauncher;
  /** stop() was called: no new work is accepted (R10). */
  isStopping(): boolean;
}
