import { ACCESS_REVOKED, AGENT_NAMESPACE, type TAccessRevokedEvent, type TAccessTarget } from "@autoglm/protocol";

export { AGENT_NAMESPACE };

/*
 * `access:revoked` (its type lives in @autoglm/protocol with the other domain events): the api
 * publishes one through its event sink after the change commits; the server turns it into
 * `disconnectSockets` on the rooms below, which the Socket.IO Postgres adapter carries to
 * every server replica.
 */

/**
 * Room names both namespaces join a socket to, so one revocation finds every connection it
 * covers on every replica: an agent socket joins `user:`, `token:` and `member:` at its
 * handshake; a dashboard socket joins `user:` (and `session:` when its sign-in has an id) at
 * its handshake and `member:<team>:<user>` before it joins a room of that team.
 */
export const accessRooms = {
  user: (userId: string) => `user:${userId}`,
  member: (orgId: string, userId: string) => `member:${orgId}:${userId}`,
  token: (tokenId: string) => `token:${tokenId}`,
  session: (sessionId: string) => `session:${sessionId}`,
};

export function roomOfTarget(target: TAccessTarget): string {
  switch (target.kind) {
    case "member":
      return accessRooms.member(target.orgId, target.userId);
    case "user":
      return accessRooms.user(target.userId);
    case "session":
      return accessRooms.session(target.sessionId);
    case "token":
      return accessRooms.token(target.tokenId);
    case "endpoint":
      return `endpoint:${target.endpointId}`;
  }
}

/** The room to close in each namespace; null where the event leaves that namespace alone. */
export function roomsToClose(event: TAccessRevokedEvent): { agents: string | null; dashboard: string | null } {
  if (event.target.kind === "endpoint") return { agents: null, dashboard: null };
  const room = roomOfTarget(event.target);
  // A token or a sign-in opens only one kind of connection.
  const agents = event.connections !== "dashboard" && event.target.kind !== "session";
  const dashboard = event.connections !== "agents" && event.target.kind !== "token";
  return { agents: agents ? room : null, dashboard: dashboard ? room : null };
}

/** The events the api publishes; one constructor per change, so each says what it closes. */
export const accessRevoked = {
  memberRemoved: (orgId: string, userId: string): TAccessRevokedEvent => ({
    type: ACCESS_REVOKED,
    reason: "member.removed",
    target: { kind: "member", orgId, userId },
    connections: "all",
  }),
  memberDemoted: (orgId: string, userId: string): TAccessRevokedEvent => ({
    type: ACCESS_REVOKED,
    reason: "member.demoted",
    target: { kind: "member", orgId, userId },
    connections: "agents",
  }),
  accountDeactivated: (userId: string): TAccessRevokedEvent => ({
    type: ACCESS_REVOKED,
    reason: "account.deactivated",
    target: { kind: "user", userId },
    connections: "all",
  }),
  sessionsEnded: (userId: string, reason: "sessions.ended" | "password.changed"): TAccessRevokedEvent => ({
    type: ACCESS_REVOKED,
    reason,
    target: { kind: "user", userId },
    connections: "dashboard",
  }),
  /** One sign-in ended (sign-out): its dashboard sockets close, the user's others stay. */
  sessionEnded: (userId: string, sessionId: string): TAccessRevokedEvent => ({
    type: ACCESS_REVOKED,
    reason: "session.ended",
    target: { kind: "session", userId, sessionId },
    connections: "dashboard",
  }),
  tokenRevoked: (tokenId: string): TAccessRevokedEvent => ({
    type: ACCESS_REVOKED,
    reason: "token.revoked",
    target: { kind: "token", tokenId },
    connections: "agents",
  }),
  endpointDeleted: (orgId: string, endpointId: string): TAccessRevokedEvent => ({
    type: ACCESS_REVOKED,
    reason: "endpoint.deleted",
    target: { kind: "endpoint", orgId, endpointId },
    connections: "all",
  }),
};
