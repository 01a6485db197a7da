import { sql } from "drizzle-orm";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";
import type { TenantScope } from "./scope.js";

/**
 * Endpoint autoscaling's shared state: each server's gateway reports its load per endpoint
 * (`endpoint_load`, one row per endpoint and server), and every server's autoscaler sums the
 * fresh rows, so N servers behind one database see one load. The decision it takes lives on the
 * endpoint row (`desired_replicas`, `scale_low_since`, `scale_low_peak`, `scale_reason`).
 */

/**
 * How old a server's load report may be and still count (ms): three of the gateway's 2 s report
 * periods, so one late write does not read as "no load".
 */
export const ENDPOINT_LOAD_FRESH_MS = 6_000;

/** One server's load on one endpoint over its last report period. */
export interface TEndpointLoadSample {
  endpointId: string;
  /** Time-averaged in-flight requests over the period. */
  concurrency: number;
  /** Requests that arrived per second over the period. */
  rps: number;
  /** {replicaId: time-averaged in-flight requests}. */
  replicaLoad: Record<string, number>;
}

/** An endpoint's load summed over the servers that reported it within the freshness bound. */
export interface TEndpointLoad {
  concurrency: number;
  rps: number;
  /** Per replica, summed over the servers. */
  replicaLoad: Record<string, number>;
  /** How many servers' rows were fresh. */
  servers: number;
}

/**
 * Unscoped: the gateway's own measurements, keyed by endpoint ids it authenticated requests for.
 * One statement per report period for every endpoint with traffic (an idle server writes nothing).
 * Rows of endpoints that no longer exist are skipped.
 */
export async function upsertEndpointLoadById(
  db: SqlDb,
  input: { serverId: string; samples: readonly TEndpointLoadSample[] },
): Promise<void> {
  if (input.samples.length === 0) return;
  const rows = JSON.stringify(
    input.samples.map((s) => ({
      endpoint_id: s.endpointId,
      concurrency: s.concurrency,
      rps: s.rps,
      replica_load: s.replicaLoad,
    })),
  );
  await runStatement(
    db,
    "endpoint_load_upsert",
    sql`INSERT INTO endpoint_load (endpoint_id, server_id, concurrency, rps, replica_load, sampled_at)
        SELECT x.endpoint_id, ${input.serverId}, x.concurrency, x.rps, coalesce(x.replica_load, '{}'::jsonb), now()
        FROM jsonb_to_recordset(${rows}::jsonb) AS x(endpoint_id uuid, concurrency float8, rps float8, replica_load jsonb)
        WHERE EXISTS (SELECT 1 FROM endpoints e WHERE e.id = x.endpoint_id)
        ON CONFLICT (endpoint_id, server_id) DO UPDATE
        SET concurrency = excluded.concurrency, rps = excluded.rps, replica_load = excluded.replica_load,
            sampled_at = excluded.sampled_at`,
  );
}

function loadOf(r: Record<string, unknown>): TEndpointLoad {
  const per = (typeof r.replica_load === "string" ? JSON.parse(r.replica_load) : (r.replica_load ?? {})) as Record<
    string,
    unknown
  >;
  return {
    concurrency: numberOf(r.concurrency),
    rps: numberOf(r.rps),
    replicaLoad: Object.fromEntries(Object.entries(per).map(([k, v]) => [k, numberOf(v)])),
    servers: numberOf(r.servers),
  };
}

const FRESH_LOAD_SQL = (freshMs: number) => sql`
  SELECT l.endpoint_id, sum(l.concurrency) AS concurrency, sum(l.rps) AS rps, count(*)::int AS servers,
         (SELECT coalesce(jsonb_object_agg(k, t), '{}'::jsonb) FROM (
            SELECT kv.key AS k, sum(kv.value::float8) AS t FROM endpoint_load l2, jsonb_each_text(l2.replica_load) kv
            WHERE l2.endpoint_id = l.endpoint_id AND l2.sampled_at > now() - ${Math.round(freshMs)}::int * interval '1 millisecond'
            GROUP BY kv.key) per) AS replica_load
  FROM endpoint_load l
  WHERE l.sampled_at > now() - ${Math.round(freshMs)}::int * interval '1 millisecond'`;

/**
 * Unscoped: the autoscaler's pass over every team. The summed fresh load of every endpoint with
 * one, and the database's clock (ms), so every server times the scale-down window alike.
 */
export async function listEndpointLoadAll(
  db: SqlDb,
  input: { freshMs: number },
): Promise<{ nowMs: number; loads: Map<string, TEndpointLoad> }> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "endpoint_load_all",
    sql`${FRESH_LOAD_SQL(input.freshMs)} GROUP BY l.endpoint_id`,
  );
  const [clock] = await runStatement<{ now_ms: unknown }>(
    db,
    "endpoint_load_clock",
    sql`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms`,
  );
  return {
    nowMs: numberOf(clock!.now_ms),
    loads: new Map(rows.map((r) => [String(r.endpoint_id), loadOf(r)])),
  };
}

/** The team's endpoint's summed fresh load (zeros when no server reported it lately). */
export async function findEndpointLoad(
  db: SqlDb,
  scope: TenantScope,
  input: { endpointId: string; freshMs: number },
): Promise<TEndpointLoad> {
  const [r] = await runStatement<Record<string, unknown>>(
    db,
    "endpoint_load_one",
    sql`${FRESH_LOAD_SQL(input.freshMs)}
        AND l.endpoint_id = ${input.endpointId}
        AND EXISTS (SELECT 1 FROM endpoints e WHERE e.id = l.endpoint_id AND e.org_id = ${scope.orgId})
        GROUP BY l.endpoint_id`,
  );
  return r ? loadOf(r) : { concurrency: 0, rps: 0, replicaLoad: {}, servers: 0 };
}

/** The autoscaler's state on one endpoint. */
export interface TScaleState {
  desiredReplicas: number | null;
  lowSinceMs: number | null;
  lowPeak: number | null;
}

/**
 * Unscoped: an endpoint the autoscaler read. Writes its decision only if the state is still
 * what it read (another server may have decided first: then this one leaves it, and both read
 * the winner's next pass). True when written.
 */
export async function applyScaleDecisionById(
  db: SqlDb,
  input: { endpointId: string; expected: TScaleState; next: TScaleState; reason: string | null },
): Promise<boolean> {
  const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const rows = await runStatement(
    db,
    "endpoint_scale_apply",
    sql`UPDATE endpoints
        SET desired_replicas = ${input.next.desiredReplicas}::int, scale_low_since = ${at(input.next.lowSinceMs)}::timestamptz,
            scale_low_peak = ${input.next.lowPeak}::int, scale_reason = coalesce(${input.reason}::text, scale_reason)
        WHERE id = ${input.endpointId}
          AND desired_replicas IS NOT DISTINCT FROM ${input.expected.desiredReplicas}::int
          AND scale_low_since IS NOT DISTINCT FROM ${at(input.expected.lowSinceMs)}::timestamptz
          AND scale_low_peak IS NOT DISTINCT FROM ${input.expected.lowPeak}::int
        RETURNING id`,
  );
  return rows.length > 0;
}

/**
 * Unscoped: drops load rows no server refreshed for `olderThanMs` (a server that stopped, an
 * endpoint that went idle), so the table holds about one row per busy endpoint and live server.
 */
export async function pruneEndpointLoadAll(db: SqlDb, input: { olderThanMs: number }): Promise<void> {
  await runStatement(
    db,
    "endpoint_load_prune",
    sql`DELETE FROM endpoint_load WHERE sampled_at < now() - ${Math.round(input.olderThanMs)}::int * interval '1 millisecond'`,
  );
}
