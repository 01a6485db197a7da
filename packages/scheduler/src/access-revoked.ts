import { AGENT_NAMESPACE } from "@autoglm/protocol";

export { AGENT_NAMESPACE };

/**
 * Live connections (agent sockets and dashboard sockets) that must end at once because the
 * right they were opened with is gone (S13: ≤ 1 s, not at the next handshake or heartbeat).
 * The api publishes one of these through its event sink after the change commits; the server
 * turns it into `disconnectSockets` on the rooms below, which the Socket.IO Postgres adapter
 * carries to every server replica.
 */
export interface TAccessRevokedEvent {
  type: "access.revoked";
  reason: TAccessRevokedReason;
  target: TAccessTarget;
  /**
   * Which connections end: a demotion to viewer ends agents only (a viewer may still watch),
   * a password change or sign-out everywhere ends dashboards only (API tokens do not belong to
   * a sign-in), a removal or deactivation ends both.
   */
  connections: "all" | "agents" | "dashboard";
}

export type TAccessRevokedReason =
  | "member.removed"
  | "member.demoted"
  | "account.deactivated"
  | "sessions.ended"
  | "password.changed"
  | "session.ended"
  | "token.revoked";

export type TAccessTarget =
  /** One user's connections in one team. */
  | { kind: "member"; orgId: string; userId: string }
  /** All of one user's connections. */
  | { kind: "user"; userId: string }
  /** The dashboard sockets opened with one sign-in (per-session sign-out). */
  | { kind: "session"; userId: string; sessionId: string }
  /** The agents connected with one API token. */
  | { kind: "token"; tokenId: string };

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
  }
}

/** The room to close in each namespace; null where the event leaves that namespace alone. */
export function roomsToClose(event: TAccessRevokedEvent): { agents: string | null; dashboard: string | null } {
  const room = roomOfTarget(event.target);
  // A token or a sign-in opens only one kind of connection.
  const agents = event.connections !== "dashboard" && event.target.kind !== "session";
  const dashboard = event.connections !== "agents" && event.target.kind !== "token";
  return { agents: agents ? room : null, dashboard: dashboard ? room : null };
}

/** The events the api publishes; one constructor per change, so each says what it closes. */
export const accessRevoked = {
  memberRemoved: (orgId: string, userId: string): TAccessRevokedEvent => ({
    type: "access.revoked",
    reason: "member.removed",
    target: { kind: "member", orgId, userId },
    connections: "all",
  }),
  memberDemoted: (orgId: string, userId: string): TAccessRevokedEvent => ({
    type: "access.revoked",
    reason: "member.demoted",
    target: { kind: "member", orgId, userId },
    connections: "agents",
  }),
  accountDeactivated: (userId: string): TAccessRevokedEvent => ({
    type: "access.revoked",
    reason: "account.deactivated",
    target: { kind: "user", userId },
    connections: "all",
  }),
  sessionsEnded: (userId: string, reason: "sessions.ended" | "password.changed"): TAccessRevokedEvent => ({
    type: "access.revoked",
    reason,
    target: { kind: "user", userId },
    connections: "dashboard",
  }),
  /** One sign-in ended (sign-out): its dashboard sockets close, the user's others stay. */
  sessionEnded: (userId: string, sessionId: string): TAccessRevokedEvent => ({
    type: "access.revoked",
    reason: "session.ended",
    target: { kind: "session", userId, sessionId },
    connections: "dashboard",
  }),
  tokenRevoked: (tokenId: string): TAccessRevokedEvent => ({
    type: "access.revoked",
    reason: "token.revoked",
    target: { kind: "token", tokenId },
    connections: "agents",
  }),
};
