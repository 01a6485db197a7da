import type { ArtifactStore } from "@autoglm/artifacts";
import type { DbHandle } from "@autoglm/db/client";
import { checkSignInLimit, verifySessionUser, type TSessionClaims } from "@autoglm/api";
import { sweepExpiredAskLeases } from "@autoglm/scheduler";
import { createLocalEvents, type PlatformEvents } from "./platform.js";

/**
 * The one place the server calls into @autoglm/api and @autoglm/scheduler: session checks,
 * room membership, the sign-in limit and the lease sweep.
 */
export interface PlatformServices {
  events: PlatformEvents;
  verifySession(claims: TSessionClaims): Promise<boolean>;
  roomTeam(room: { kind: "study" | "org"; id: string }): Promise<string | null>;
  isMember(userId: string, orgId: string): Promise<boolean>;
  checkSignInLimit(input: { email: string | undefined; ip: string }): Promise<{ limited: boolean; retryAfterSeconds: number }>;
  sweep(): Promise<number>;
}

/** What the server holds for its handlers: the platform services and the artifact store, checked at start. */
export interface ServerServices extends PlatformServices {
  artifacts: ArtifactStore;
}

export function createPlatformServices(db: DbHandle, onListenerError: (err: unknown) => void): PlatformServices {
  const events = createLocalEvents(onListenerError);
  return {
    events,
    async verifySession(claims) {
      return (await verifySessionUser(db, claims)) !== null;
    },
    async roomTeam(room) {
      // The room's team: an org room names it; a study's is looked up (any study id is a
      // uuid by the room's schema; a missing one has no team).
      if (room.kind === "org") return room.id;
      const rows = await db.query<{ org_id: string }>("SELECT org_id FROM studies WHERE id = $1", [room.id]);
      return rows[0] ? String(rows[0].org_id) : null;
    },
    async isMember(userId, orgId) {
      const rows = await db.query("SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2", [orgId, userId]);
      return rows.length > 0;
    },
    /**
     * The api's own read-only S6 check (same keys and window as `authenticateCredentials`):
     * next-auth's credentials callback cannot answer 429, so the server asks first.
     */
    checkSignInLimit: ({ email, ip }) => checkSignInLimit(db, { email, ip }),
    async sweep() {
      const { expired, events: swept } = await sweepExpiredAskLeases({ db: db.db });
      for (const e of swept) events.publish(e);
      return expired;
    },
  };
}
