import type { Server } from "socket.io";
import type { TAccessRevokedEvent } from "@autoglm/api";
import { AGENT_NAMESPACE, roomsToClose } from "@autoglm/scheduler";

/**
 * S13: closes, at once and on every server replica, the connections an `access:revoked`
 * event covers: agent sockets in `/agents` and dashboard sockets in `/`. Room-based
 * `disconnectSockets` is what the Socket.IO Postgres adapter carries to the other processes,
 * so a member removed through replica A loses the agent and the browser tab connected to
 * replica B in the same moment. `true` closes the transport too: the client sees "io server
 * disconnect" and a reconnect meets the handshake's check.
 */
export function closeRevokedConnections(io: Server, event: TAccessRevokedEvent): void {
  const { agents, dashboard } = roomsToClose(event);
  if (agents) io.of(AGENT_NAMESPACE).in(agents).disconnectSockets(true);
  if (dashboard) io.of("/").in(dashboard).disconnectSockets(true);
}
