import { sql } from "drizzle-orm";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";
import type { TTrialState } from "./trials.js";

export interface TPlatformGauges {
  /** Every trial of every team by state; a state no trial is in is absent. */
  trialsByState: Partial<Record<TTrialState, number>>;
  /** Waiting trials per team slug; a team with none is absent. */
  waitingByTeam: Map<string, number>;
  /** Online agents per team slug, for every team that has registered an agent (0 when all are offline). */
  agentsOnlineByTeam: Map<string, number>;
}

/**
 * Unscoped: the operator's /metrics view over every team. One statement (one round trip) for
 * what Prometheus reads at scrape time; the caller caches it, so scrapes cannot load the
 * database. An agent counts as online like on the Agents page: its row says so and it was
 * heard from within `staleAfterMs` (a crashed agent's row may still say online).
 */
export async function readPlatformGauges(db: SqlDb, input: { staleAfterMs: number }): Promise<TPlatformGauges> {
  const rows = await runStatement<{ series: string; label: string; n: number | string }>(
    db,
    "platform_gauges",
    sql`SELECT 'trials' AS series, state::text AS label, count(*) AS n FROM trials GROUP BY state
        UNION ALL
        SELECT 'waiting', o.slug, count(*) FROM trials t JOIN organizations o ON o.id = t.org_id
         WHERE t.state = 'waiting' GROUP BY o.slug
        UNION ALL
        SELECT 'agents_online', o.slug,
               count(*) FILTER (WHERE g.is_online AND g.last_heartbeat_at > now() - ${input.staleAfterMs}::int * interval '1 millisecond')
          FROM agents g JOIN organizations o ON o.id = g.org_id GROUP BY o.slug`,
  );
  const gauges: TPlatformGauges = { trialsByState: {}, waitingByTeam: new Map(), agentsOnlineByTeam: new Map() };
  for (const r of rows) {
    const n = numberOf(r.n);
    if (r.series === "trials") gauges.trialsByState[r.label as TTrialState] = n;
    else if (r.series === "waiting") gauges.waitingByTeam.set(String(r.label), n);
    else gauges.agentsOnlineByTeam.set(String(r.label), n);
  }
  return gauges;
}
