import type { BroadcastOperator, DefaultEventsMap, Namespace, Server, Socket } from "socket.io";
import {
  AGENT_NAMESPACE,
  type AgentToServerEvents,
  type Logger,
  type ServerToAgentEvents,
  type TReplicaStop,
  type TTrialSignal,
} from "@autoglm/protocol";
import type { VerifyAgentToken } from "../agent-token.js";

/** What a connection carries: set by the handshake, `agentId` by `agent:register`. */
export interface AgentSocketData {
  orgId: string;
  tokenId: string;
  userId: string;
  agentId?: string;
}

export type AgentNamespace = Namespace<AgentToServerEvents, ServerToAgentEvents, DefaultEventsMap, AgentSocketData>;
export type AgentSocket = Socket<AgentToServerEvents, ServerToAgentEvents, DefaultEventsMap, AgentSocketData>;

/**
 * The `/agents` namespace typed with the protocol's event maps. The app's Server serves other
 * namespaces with other events (live updates), so its own type cannot carry these; this is
 * the one place the namespace is narrowed to them.
 */
export function agentNamespaceOf(io: Server): AgentNamespace {
  return io.of(AGENT_NAMESPACE) as AgentNamespace;
}

/** The signals a server sends an agent's room; see agentRoom. */
export interface AgentSignalEvents {
  "trial:prune": (payload: TTrialSignal) => void;
  "trial:stop": (payload: TTrialSignal) => void;
  /** A lost one is repeated by the next heartbeat ack's `staleReplicas` (a draining replica's lease is not renewed). */
  "replica:stop": (payload: TReplicaStop) => void;
}

/**
 * The room of one agent: a broadcast reaches its socket on whichever server holds it (the
 * cluster adapter). Signals go without an ack: the agent's is optional (it acks a direct emit),
 * waiting for acks would make every signal a cluster-wide request, and a lost one is repeated
 * by the agent's next heartbeat, whose ack lists the trials it no longer holds.
 */
export function agentRoom(nsp: AgentNamespace, agentId: string): BroadcastOperator<AgentSignalEvents, AgentSocketData> {
  return nsp.to(`agent:${agentId}`) as BroadcastOperator<AgentSignalEvents, AgentSocketData>;
}

/**
 * Handshake: an API token with the `agent` scope in `auth.token` whose owner may run agents in
 * its team (S13); anything else is refused before a single event is read.
 */
export function authenticateAgents(nsp: AgentNamespace, verifyToken: VerifyAgentToken, logger: Logger): void {
  nsp.use(async (socket, next) => {
    try {
      const auth: unknown = socket.handshake.auth;
      const token = typeof auth === "object" && auth !== null && "token" in auth ? auth.token : undefined;
      const principal = typeof token === "string" ? await verifyToken(token) : null;
      if (!principal) return next(new Error("unauthorized"));
      socket.data.orgId = principal.orgId;
      socket.data.tokenId = principal.tokenId;
      socket.data.userId = principal.userId;
      next();
    } catch (err) {
      logger.error("agent handshake failed", { error: String(err) });
      next(new Error("unavailable"));
    }
  });
}
