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
 *
 * A grant in use is checked again beside the requests once half its life is gone, so a key
 * that keeps calling never waits for the database; it is still never trusted longer than
 * GRANT_TTL_MS after the database last said yes. A check that was running when a revocation
 * came (`forgetAll`) is not remembered: it may have read the database from before it.
 */
export class GrantedKeys {
  private readonly grants = new Map<string, { grant: TGrant; checkedMs: number; untilMs: number; rechecking: boolean }>();
  private epoch = 0;

  constructor(private readonly ttlMs = GRANT_TTL_MS) {}

  get(key: string, nowMs: number): TGrant | null {
    const hit = this.grants.get(key);
    if (!hit) return null;
    if (hit.untilMs > nowMs) return hit.grant;
    this.grants.delete(key);
    return null;
  }

  /** Marks when a check begins: pass it to `remember` so a revocation during the check wins. */
  beginCheck(): number {
    return this.epoch;
  }

  /**
   * Whether the remembered grant for `key` should be checked again now (half its life gone, no
   * check of it running); true marks it as being checked until `remember` or `forget`.
   */
  claimRecheck(key: string, nowMs: number): boolean {
    const hit = this.grants.get(key);
    if (!hit || hit.rechecking || nowMs - hit.checkedMs < this.ttlMs / 2) return false;
    hit.rechecking = true;
    return true;
  }

  remember(key: string, grant: TGrant, nowMs: number, checkBegan: number): void {
    if (checkBegan !== this.epoch) return;
    // Bounded: a flood of distinct keys costs one database statement each, as without the cache.
    if (this.grants.size >= MAX_GRANTS) this.grants.clear();
    const untilMs = Math.min(nowMs + this.ttlMs, grant.expiresAtMs ?? Infinity);
    if (untilMs > nowMs) this.grants.set(key, { grant, checkedMs: nowMs, untilMs, rechecking: false });
    else this.grants.delete(key);
  }

  /** The database refused the key (or the check failed): ask it again on the next request. */
  forget(key: string): void {
    this.grants.delete(key);
  }

  forgetAll(): void {
    this.epoch++;
    this.grants.clear();
  }
}
