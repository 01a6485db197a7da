import { createHash } from "node:crypto";
import type { DbHandle } from "@autoglm/db/client";
import { readRateLimit, windowStartOf } from "@autoglm/db/queries";
import { DEFAULT_SIGN_IN_LIMITS, verifySessionUser } from "@autoglm/api";
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
  const limits = DEFAULT_SIGN_IN_LIMITS;
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
     * Read-only twin of the check inside the api's `authenticateCredentials` (same keys, same
     * window): 10 failures per account or 30 per IP in 15 min (S6). The api counts failures;
     * this only decides whether to answer 429 before next-auth runs, because next-auth's
     * credentials callback cannot.
     */
    async checkSignInLimit({ email, ip }) {
      const now = new Date();
      const windowStart = windowStartOf(now, limits.windowMs);
      const retryAfterSeconds = Math.max(1, Math.ceil((windowStart.getTime() + limits.windowMs - now.getTime()) / 1000));
      const normalized = (email ?? "").trim().toLowerCase().slice(0, 320);
      const [account, perIp] = await Promise.all([
        normalized
          ? readRateLimit(db.db, { key: `signin:acct:${createHash("sha256").update(normalized).digest("hex")}`, windowStart })
          : Promise.resolve(0),
        readRateLimit(db.db, { key: `signin:ip:${ip}`, windowStart }),
      ]);
      return { limited: account >= limits.perAccount || perIp >= limits.perIp, retryAfterSeconds };
    },
    async sweep() {
      const { expired, events: swept } = await sweepExpiredAskLeases({ db: db.db });
      for (const e of swept) events.publish(e);
      return expired;
    },
  };
}
