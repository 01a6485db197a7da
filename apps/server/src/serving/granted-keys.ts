import type { TInferenceAccess } from "@autoglm/db/queries";

type TGrant = Extract<TInferenceAccess, { ok: true }>;

/** How long a granted key is trusted without asking the database again. */
export const GRANT_TTL_MS = 1_000;
const MAX_GRANTS = 10_000;

/**
 * Keys the gateway opened an endpoint for in the last second. The key check is one statement
 * per request; measured with `pnpm bench:serve`, it was 30-47% of the server's CPU and capped
 * the gateway near 500 requests/s on PGlite. Only grants are remembered (a refusal is asked
 * again, so a new key works at once), never past the key's own expiry, and every
 * `access:revoked` on this server (a key revoked, a member removed, an account deactivated)
 * forgets them all before the change's request answers: a revocation made through this server
 * holds for the next request; through another server replica, within GRANT_TTL_MS.
 */
export class GrantedKeys {
  private readonly grants = new Map<string, { grant: TGrant; untilMs: number }>();

  constructor(private readonly ttlMs = GRANT_TTL_MS) {}

  get(key: string, nowMs: number): TGrant | null {
    const hit = this.grants.get(key);
    if (!hit) return null;
    if (hit.untilMs > nowMs) return hit.grant;
    this.grants.delete(key);
    return null;
  }

  remember(key: string, grant: TGrant, nowMs: number): void {
    // Bounded: a flood of distinct keys costs one database statement each, as without the cache.
    if (this.grants.size >= MAX_GRANTS) this.grants.clear();
    const untilMs = Math.min(nowMs + this.ttlMs, grant.expiresAtMs ?? Infinity);
    if (untilMs > nowMs) this.grants.set(key, { grant, untilMs });
  }

  forgetAll(): void {
    this.grants.clear();
  }
}
