import { ackError, type TAckError } from "@autoglm/protocol";
import { accessRooms } from "../access-revoked.js";
import { markAgentOffline } from "../heartbeat.js";
import { dispatchAgentEvent, type TAgentEventHandler } from "./agent-event.js";
import { agentHandlers, type TAgentConnection } from "./agent-handlers.js";
import type { AgentSocket } from "./agent-namespace.js";
import type { GatewayParts } from "./gateway-parts.js";

/**
 * One authenticated connection: its revocation rooms, its event handlers and its disconnect.
 * Every event is parsed with its zod schema from @autoglm/protocol before anything is written.
 */
export function acceptAgentConnection(parts: GatewayParts, socket: AgentSocket): void {
  const { orgId, userId, tokenId } = socket.data;
  // S13: an `access:revoked` event closes these rooms on every replica at once. Joined before
  // any event is handled, so registration's own membership check runs after the join: a
  // removal that lands between the handshake and here is caught by one or the other.
  void socket.join([accessRooms.user(userId), accessRooms.member(orgId, userId), accessRooms.token(tokenId)]);
  const conn: TAgentConnection = { socket, orgId, refuse: () => refuse(parts, socket), tokenCheckedAt: parts.nowMs() };
  const h = agentHandlers(parts, conn);
  const run = <A>(
    event: string,
    handler: TAgentEventHandler<A>,
    payload: unknown,
    ack: ((r: NoInfer<A> | TAckError) => void) | undefined,
  ) => dispatchAgentEvent(parts, socket, event, handler, payload, ack);
  socket.on("agent:register", (payload, ack) => void run("agent:register", h["agent:register"], payload, ack));
  socket.on("agent:heartbeat", (payload, ack) => void run("agent:heartbeat", h["agent:heartbeat"], payload, ack));
  socket.on("agent:ready", (payload, ack) => void run("agent:ready", h["agent:ready"], payload, ack));
  socket.on("trial:metric", (payload, ack) => void run("trial:metric", h["trial:metric"], payload, ack));
  socket.on("trial:complete", (payload, ack) => void run("trial:complete", h["trial:complete"], payload, ack));
  socket.on("replica:ready", (payload, ack) => void run("replica:ready", h["replica:ready"], payload, ack));
  socket.on("replica:ended", (payload, ack) => void run("replica:ended", h["replica:ended"], payload, ack));
  socket.on("disconnect", () => {
    const agentId = socket.data.agentId;
    if (!agentId || !parts.registry.removeSocket(agentId, socket)) return;
    // Leases stay: a blip shorter than T must not restart anything (R3); the sweeper decides.
    markAgentOffline(parts.db, agentId).catch((err) =>
      parts.logger.warn("could not mark agent offline", { agentId, error: String(err) }),
    );
  });
}

/** Nothing this connection sends will be accepted any more: end it (the agent's reconnect is refused at the handshake). */
function refuse(parts: GatewayParts, socket: AgentSocket): TAckError {
  parts.logger.warn("agent token can no longer act; disconnecting", { agentId: socket.data.agentId });
  setImmediate(() => socket.disconnect(true));
  return ackError(
    "UNAUTHORIZED",
    "this agent's token can no longer act in its team (revoked or expired, or its owner was removed, made a viewer or deactivated)",
  );
}
