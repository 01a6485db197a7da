import type { DbHandle } from "@autoglm/db/client";
import { attachAgentGateway, SchedulerLoop, type Logger, type RunLoopConfig } from "@autoglm/scheduler";
import type { Server as SocketIOServer } from "socket.io";
import type { PlatformEvents } from "./platform.js";
import { contextPerEvent, idsOf } from "./socket-context.js";

export type AgentGateway = ReturnType<typeof attachAgentGateway>;

/**
 * The run loop: agents connect to the `/agents` namespace with an agent-scope token; the
 * scheduler keeps studies with a `run` section fed and sweeps expired leases.
 */
export function startRunLoop(
  io: SocketIOServer,
  deps: {
    db: DbHandle;
    publish: PlatformEvents["publish"];
    logger: Logger;
    config: Partial<RunLoopConfig>;
    /** Each lease granted and its latency (the server's metrics). */
    onLeaseGranted?: (latencyMs: number) => void;
    /** The key serving replicas' secrets derive from (AUTH_SECRET: the same on every server replica). */
    serverKey?: string;
  },
): { gateway: AgentGateway; stop(): Promise<void> } {
  const { logger } = deps;
  // The protocol's AGENT_NAMESPACE: each agent event's lines carry its team, user and agent.
  contextPerEvent(io.of("/agents"), (socket) =>
    idsOf(socket.data as Record<string, unknown>, { orgId: "teamId", userId: "userId", agentId: "agentId" }),
  );
  const { db, publish, config, onLeaseGranted, serverKey } = deps;
  const gateway = attachAgentGateway(io, {
    db,
    logger,
    publish,
    config,
    ...(onLeaseGranted ? { onLeaseGranted } : {}),
    ...(serverKey ? { serverKey } : {}),
  });
  const scheduler = new SchedulerLoop({ db: deps.db, gateway, logger, publish: deps.publish }).start();
  return {
    gateway,
    async stop() {
      await scheduler.stop();
      await gateway.close();
    },
  };
}
