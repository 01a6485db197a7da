/**
 * The platform's domain events: what the api and the scheduler publish on the server's event
 * bus. Two kinds travel on it:
 *  - live-update doorbells (`trial:updated`, `study:updated`, `study:deleted`), which the
 *    server forwards to the dashboard sockets in the study's and the team's rooms; the browser
 *    then re-fetches over tRPC (a doorbell, not a data channel);
 *  - `access:revoked`, which makes the server close the connections a change took the right
 *    from (S13), and never reaches a browser.
 * Names are `namespace:verb`, as the agent protocol's are.
 */

/** The doorbells a dashboard socket receives, one per kind of change. */
export const LIVE_EVENT_TYPES = ["trial:updated", "study:updated", "study:deleted"] as const;
export type TLiveEventType = (typeof LIVE_EVENT_TYPES)[number];

/** One doorbell: which study (and trial) of which team changed; the data itself comes over tRPC. */
export interface TLiveEvent {
  type: TLiveEventType;
  orgId: string;
  studyId: string;
  trialId?: string;
}

/** What the server sends to a dashboard socket (socket.io-client's event map). */
export type DashboardServerEvents = { [K in TLiveEventType]: (event: TLiveEvent) => void } & {
  /** The server lost its cross-process listener for a moment: doorbells may have been missed. */
  resync: () => void;
};

export const ACCESS_REVOKED = "access:revoked";

export type TAccessRevokedReason =
  | "member.removed"
  | "member.demoted"
  | "account.deactivated"
  | "sessions.ended"
  | "password.changed"
  | "session.ended"
  | "token.revoked"
  | "endpoint.deleted";

export type TAccessTarget =
  /** One user's connections in one team. */
  | { kind: "member"; orgId: string; userId: string }
  /** All of one user's connections. */
  | { kind: "user"; userId: string }
  /** The dashboard sockets opened with one sign-in (per-session sign-out). */
  | { kind: "session"; userId: string; sessionId: string }
  /** The agents connected with one API token. */
  | { kind: "token"; tokenId: string }
  /** No connection: the inference gateways forget the keys they granted for a deleted endpoint. */
  | { kind: "endpoint"; orgId: string; endpointId: string };

/**
 * Live connections (agent sockets and dashboard sockets) that must end at once because the
 * right they were opened with is gone (S13: ≤ 1 s, not at the next handshake or heartbeat).
 */
export interface TAccessRevokedEvent {
  type: typeof ACCESS_REVOKED;
  reason: TAccessRevokedReason;
  target: TAccessTarget;
  /**
   * Which connections end: a demotion to viewer ends agents only (a viewer may still watch),
   * a password change or sign-out everywhere ends dashboards only (API tokens do not belong to
   * a sign-in), a removal or deactivation ends both.
   */
  connections: "all" | "agents" | "dashboard";
}

/** Everything on the platform's event bus. */
export type TDomainEvent = TLiveEvent | TAccessRevokedEvent;

/** Where the api and the scheduler publish; the server forwards to Socket.IO. */
export type PublishEvent = (event: TDomainEvent) => void;
