import type { DbHandle } from "@autoglm/db/client";
import { attachAgentGateway, SchedulerLoop, type Logger, type RunLoopConfig } from "@autoglm/scheduler";
import type { Server as SocketIOServer } from "socket.io";
import type { PlatformEvents } from "./platform.js";

export type AgentGateway = ReturnType<typeof attachAgentGateway>;

/**
 * The run loop: agents connect to the `/agents` namespace with an agent-scope token; the
 * scheduler keeps studies with a `run` section fed and sweeps expired leases.
 */
export function startRunLoop(
  io: SocketIOServer,
  deps: { db: DbHandle; publish: PlatformEvents["publish"]; log: (line: string) => void; config: Partial<RunLoopConfig> },
): { gateway: AgentGateway; stop(): Promise<void> } {
  const logger = runLogger(deps.log);
  const gateway = attachAgentGateway(io, { db: deps.db, logger, publish: deps.publish, config: deps.config });
  const scheduler = new SchedulerLoop({ db: deps.db, gateway, logger, publish: deps.publish }).start();
  return {
    gateway,
    async stop() {
      await scheduler.stop();
      await gateway.close();
    },
  };
}

/** Run-loop lines go to the server log; fields are ids and counts, never tokens (S10). */
function runLogger(log: (line: string) => void): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) =>
    log(`[run-loop] ${level} ${message}${fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : ""}`);
  return {
    info: (m, f) => line("info", m, f),
    warn: (m, f) => line("warn", m, f),
    error: (m, f) => line("error", m, f),
  };
}
