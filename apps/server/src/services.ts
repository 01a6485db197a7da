import type { DbHandle } from "@autoglm/db/client";
import { checkSignInLimit, verifySessionUser } from "@autoglm/api";
import { sweepExpiredAskLeases } from "@autoglm/scheduler";
import { createLocalEvents, type PlatformEvents } from "./platform.js";

/**
 * The one place the server calls into @autoglm/api and @autoglm/scheduler: session checks,
 * room membership, the sign-in limit and the lease sweep.
 */
export interface PlatformServices {
  events: PlatformEvents;
  verifySession(claims: { userId: string; sessionVersion: number }): Promise<boolean>;
  canJoin(userId: string, room: { kind: "study" | "org"; id: string }): Promise<boolean>;
  checkSignInLimit(input: { email: string | undefined; ip: string }): Promise<{ limited: boolean; retryAfterSeconds: number }>;
  sweep(): Promise<number>;
}

export function createPlatformServices(db: DbHandle, onListenerError: (err: unknown) => void): PlatformServices {
  const events = createLocalEvents(onListenerError);
  return {
    events,
    async verifySession(claims) {
      return (await verifySessionUser(db, claims)) !== null;
    },
    async canJoin(userId, room) {
      // Membership of the room's team; a study's team is looked up through the study.
      const rows =
        room.kind === "org"
          ? await db.query("SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2", [room.id, userId])
          : await db.query(
              "SELECT 1 FROM studies s JOIN memberships m ON m.org_id = s.org_id WHERE s.id = $1 AND m.user_id = $2",
              [room.id, userId],
            );
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
