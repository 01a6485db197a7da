import { sql } from "drizzle-orm";
import { agentTokenJoinsSql, agentTokenMayActSql } from "./agent-token-rule.js";
import { numberOf, numberOrNull, runStatement, type SqlDb } from "./sql-runner.js";

/**
 * Serving replicas' lifecycle, for the scheduler's reconciler and its agent handlers: the same
 * lease discipline as trials (a lease token fences every write, heartbeats renew, a lapsed
 * lease ends the replica). Every function here is keyed by a replica or agent the caller holds.
 */

/** States that hold an agent's resources and a lease. */
export const LIVE_REPLICA_STATES = ["starting", "ready", "draining"] as const;
const LIVE = sql.raw(`('starting', 'ready', 'draining')`);

/** A replica an agent says it runs. */
export interface TReplicaClaim {
  replicaId: string;
  leaseToken: string;
}

const claimsJson = (claims: readonly TReplicaClaim[]) =>
  JSON.stringify(claims.map((c) => ({ replica_id: c.replicaId, lease_token: c.leaseToken })));

/**
 * GPUs and memory (MB) an agent's running trials and live replicas take, as a LATERAL over an
 * agent row `a`: trial leasing and replica placement both subtract it, so a replica's GPU is
 * never leased to a trial and the other way round.
 */
export function agentUsageSql(agent = "a"): string {
  return `(SELECT
      coalesce((SELECT sum(s.gpus_needed) FROM trials t JOIN studies s ON s.id = t.study_id
                WHERE t.agent_id = ${agent}.id AND t.state = 'running' AND t.lease_kind = 'agent'), 0)
    + coalesce((SELECT sum(coalesce((e.resources->>'gpus')::int, 0)) FROM endpoint_replicas rp
                JOIN endpoints e ON e.id = rp.endpoint_id
                WHERE rp.agent_id = ${agent}.id AND rp.state IN ('starting', 'ready', 'draining')), 0) AS gpus,
      coalesce((SELECT sum(s.memory_mb_needed) FROM trials t JOIN studies s ON s.id = t.study_id
                WHERE t.agent_id = ${agent}.id AND t.state = 'running' AND t.lease_kind = 'agent'), 0)
    + coalesce((SELECT sum((e.resources->>'memory_gb')::float8 * 1024) FROM endpoint_replicas rp
                JOIN endpoints e ON e.id = rp.endpoint_id
                WHERE rp.agent_id = ${agent}.id AND rp.state IN ('starting', 'ready', 'draining')), 0) AS mem_mb)`;
}

/** An endpoint as the reconciler sees it, with the version it should serve. */
export interface TServingEndpoint {
  id: string;
  orgId: string;
  name: string;
  minReplicas: number;
  maxReplicas: number;
  /** Autoscaling settings and state (endpoint-autoscale.ts). */
  targetConcurrency: number;
  scaleDownDelayMs: number;
  desiredReplicas: number | null;
  scaleLowSinceMs: number | null;
  scaleLowPeak: number | null;
  /** Null when deleted: every replica drains. */
  targetVersionId: string | null;
  isDeleted: boolean;
  /** Replicas of the target version that failed for a reason of their own (not a lost agent) in the last hour. */
  recentFailures: number;
}

export interface TLiveReplica {
  id: string;
  endpointId: string;
  versionId: string;
  agentId: string | null;
  state: "pending" | "starting" | "ready" | "draining";
  leaseToken: string | null;
}

/**
 * Unscoped: the reconciler's pass over every team. Endpoints that are live, or deleted with
 * replicas still running, and the replicas not yet ended.
 */
export async function listServingStateAll(db: SqlDb): Promise<{ endpoints: TServingEndpoint[]; replicas: TLiveReplica[] }> {
  const eps = await runStatement<Record<string, unknown>>(
    db,
    "serving_endpoints",
    sql`SELECT e.id, e.org_id, e.name, e.min_replicas, e.max_replicas, e.deleted_at IS NOT NULL AS is_deleted,
        e.target_concurrency, e.scale_down_delay_ms, e.desired_replicas, e.scale_low_peak,
        round(extract(epoch FROM e.scale_low_since) * 1000)::float8 AS scale_low_since_ms,
        (SELECT v.id FROM model_versions v WHERE v.deleted_at IS NULL AND v.id = coalesce(e.version_id,
           (SELECT ma.version_id FROM model_aliases ma WHERE ma.model_id = e.model_id AND ma.alias = e.alias))) AS target,
        (SELECT count(*) FROM endpoint_replicas f WHERE f.endpoint_id = e.id AND f.state = 'failed'
           AND f.ended_at > now() - interval '1 hour' AND f.reason NOT LIKE 'AGENT_LOST%'
           AND f.model_version_id = coalesce(e.version_id,
             (SELECT ma.version_id FROM model_aliases ma WHERE ma.model_id = e.model_id AND ma.alias = e.alias)))::int AS failures
      FROM endpoints e
      WHERE e.deleted_at IS NULL
         OR EXISTS (SELECT 1 FROM endpoint_replicas r WHERE r.endpoint_id = e.id AND r.state IN ('pending', 'starting', 'ready', 'draining'))`,
  );
  const reps = await runStatement<Record<string, unknown>>(
    db,
    "serving_replicas",
    sql`SELECT id, endpoint_id, model_version_id, agent_id, state, lease_token FROM endpoint_replicas
        WHERE state IN ('pending', 'starting', 'ready', 'draining') ORDER BY created_at`,
  );
  return {
    endpoints: eps.map((r) => ({
      id: String(r.id),
      orgId: String(r.org_id),
      name: String(r.name),
      minReplicas: numberOf(r.min_replicas),
      maxReplicas: numberOf(r.max_replicas),
      targetConcurrency: numberOf(r.target_concurrency),
      scaleDownDelayMs: numberOf(r.scale_down_delay_ms),
      desiredReplicas: numberOrNull(r.desired_replicas),
      scaleLowSinceMs: numberOrNull(r.scale_low_since_ms),
      scaleLowPeak: numberOrNull(r.scale_low_peak),
      targetVersionId: r.target ? String(r.target) : null,
      isDeleted: r.is_deleted === true || r.is_deleted === "t",
      recentFailures: numberOf(r.failures),
    })),
    replicas: reps.map((r) => ({
      id: String(r.id),
      endpointId: String(r.endpoint_id),
      versionId: String(r.model_version_id),
      agentId: r.agent_id ? String(r.agent_id) : null,
      state: r.state as TLiveReplica["state"],
      leaseToken: r.lease_token ? String(r.lease_token) : null,
    })),
  };
}

/** Everything `replica:start` carries, read after placement. */
export interface TPlacedReplica {
  replicaId: string;
  agentId: string;
  leaseToken: string;
  leaseExpiresAt: string;
  endpoint: { id: string; name: string };
  model: {
    name: string;
    version: number;
    versionId: string;
    flavor: string;
    digest: string;
    files: Array<{ name: string; size: number; sha256: string }>;
    /** The `serve` section the version's lineage recorded (flavor `command`), as stored; null without one. */
    serve: unknown;
  };
  resources: Record<string, unknown>;
}

/**
 * Unscoped: a pending replica the reconciler chose. Places it on one of `agentIds` (the agents
 * connected to this process) in ONE statement: an agent of the endpoint's team whose token may
 * act (S8, S13; a project-restricted token only for its project's endpoints), online, whose
 * labels contain the endpoint's, with the GPUs and memory left after its trials and replicas.
 * Agents holding fewer replicas of this endpoint come first (so two replicas land on two agents
 * when they can: losing one agent then loses one replica, R14), then the least loaded.
 * Null when no agent fits (or the replica is no longer pending).
 */
export async function placeReplicaById(
  db: SqlDb,
  input: { replicaId: string; agentIds: readonly string[]; leaseTtlMs: number },
): Promise<TPlacedReplica | null> {
  const ttl = Math.round(input.leaseTtlMs);
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "replica_place",
    sql`
WITH r AS (
  SELECT rp.id, rp.org_id, rp.endpoint_id, e.project_id,
         coalesce((e.resources->>'gpus')::int, 0) AS gpus, (e.resources->>'memory_gb')::float8 * 1024 AS mem_mb,
         coalesce(e.resources->'labels', '{}'::jsonb) AS labels
  FROM endpoint_replicas rp JOIN endpoints e ON e.id = rp.endpoint_id
  WHERE rp.id = ${input.replicaId} AND rp.state = 'pending' AND e.deleted_at IS NULL
  FOR UPDATE OF rp SKIP LOCKED
),
cand AS (
  SELECT a.id FROM r, agents a
  JOIN api_tokens tk ON tk.id = a.token_id AND tk.org_id = a.org_id
  ${sql.raw(agentTokenJoinsSql())}
  CROSS JOIN LATERAL ${sql.raw(agentUsageSql("a"))} u
  WHERE a.id IN (SELECT x::uuid FROM jsonb_array_elements_text(${JSON.stringify(input.agentIds)}::jsonb) x)
    AND a.org_id = r.org_id AND a.is_online AND ${sql.raw(agentTokenMayActSql())}
    AND (tk.project_id IS NULL OR tk.project_id = r.project_id)
    AND a.labels @> r.labels
    AND r.gpus <= jsonb_array_length(a.gpus) - u.gpus
    AND (r.mem_mb IS NULL OR r.mem_mb <= a.memory_mb - u.mem_mb)
  ORDER BY (SELECT count(*) FROM endpoint_replicas o WHERE o.agent_id = a.id AND o.endpoint_id = r.endpoint_id
              AND o.state IN ${LIVE}), u.gpus, u.mem_mb, a.id
  LIMIT 1
)
UPDATE endpoint_replicas rp
SET state = 'starting', agent_id = cand.id, lease_token = gen_random_uuid(),
    lease_expires_at = now() + ${ttl}::int * interval '1 millisecond'
FROM r, cand
WHERE rp.id = r.id
RETURNING rp.id, rp.agent_id, rp.lease_token, rp.lease_expires_at`,
  );
  const placed = rows[0];
  if (!placed) return null;
  return replicaStartOf(db, placed);
}

async function replicaStartOf(db: SqlDb, placed: Record<string, unknown>): Promise<TPlacedReplica | null> {
  const [d] = await runStatement<Record<string, unknown>>(
    db,
    "replica_start_payload",
    sql`SELECT e.id AS endpoint_id, e.name AS endpoint_name, e.resources, m.name AS model_name, v.version, v.id AS version_id,
               v.flavor, v.digest, v.files, v.lineage->'serve' AS serve
        FROM endpoint_replicas rp JOIN endpoints e ON e.id = rp.endpoint_id
        JOIN model_versions v ON v.id = rp.model_version_id JOIN models m ON m.id = v.model_id
        WHERE rp.id = ${String(placed.id)}`,
  );
  if (!d) return null;
  const files = (typeof d.files === "string" ? JSON.parse(d.files) : d.files) as Array<{
    name: string;
    sizeBytes: number;
    sha256: string;
  }>;
  const at = placed.lease_expires_at;
  return {
    replicaId: String(placed.id),
    agentId: String(placed.agent_id),
    leaseToken: String(placed.lease_token),
    leaseExpiresAt: (at instanceof Date ? at : new Date(String(at))).toISOString(),
    endpoint: { id: String(d.endpoint_id), name: String(d.endpoint_name) },
    model: {
      name: String(d.model_name),
      version: numberOf(d.version),
      versionId: String(d.version_id),
      flavor: String(d.flavor),
      digest: String(d.digest),
      files: files.map((f) => ({ name: f.name, size: numberOf(f.sizeBytes), sha256: f.sha256 })),
      serve: (typeof d.serve === "string" ? JSON.parse(d.serve) : d.serve) ?? null,
    },
    resources: (typeof d.resources === "string" ? JSON.parse(d.resources) : d.resources) as Record<string, unknown>,
  };
}

/** Unscoped: fenced by the lease token. The agent declined or missed `replica:start`: back to pending, for another agent. */
export async function unplaceReplicaById(db: SqlDb, input: TReplicaClaim): Promise<void> {
  await runStatement(
    db,
    "replica_unplace",
    sql`UPDATE endpoint_replicas SET state = 'pending', agent_id = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE id = ${input.replicaId} AND lease_token = ${input.leaseToken} AND state = 'starting'`,
  );
}

/**
 * Unscoped: fenced by the agent and the lease token it presents. The replica passed its
 * readiness check: it takes traffic from now on. False for a stale lease (nothing changes).
 */
export async function markReplicaReadyById(
  db: SqlDb,
  input: TReplicaClaim & { agentId: string; url: string; gpus: number[]; leaseTtlMs: number },
): Promise<{ held: boolean; endpointId: string | null }> {
  const rows = await runStatement<{ endpoint_id: string }>(
    db,
    "replica_ready",
    sql`UPDATE endpoint_replicas SET state = 'ready', url = ${input.url}, gpus = ${JSON.stringify(input.gpus)}::jsonb,
          ready_at = coalesce(ready_at, now()),
          lease_expires_at = now() + ${Math.round(input.leaseTtlMs)}::int * interval '1 millisecond'
        WHERE id = ${input.replicaId} AND lease_token = ${input.leaseToken} AND agent_id = ${input.agentId}
          AND state IN ('starting', 'ready')
        RETURNING endpoint_id`,
  );
  return { held: rows.length > 0, endpointId: rows[0] ? String(rows[0].endpoint_id) : null };
}

/** Unscoped: fenced by the agent and the lease token. The replica stopped (asked to) or failed; false when stale. */
export async function endReplicaById(
  db: SqlDb,
  input: TReplicaClaim & { agentId: string; outcome: "stopped" | "failed"; reason: string | null },
): Promise<boolean> {
  const rows = await runStatement(
    db,
    "replica_end",
    // A drained replica keeps the reconciler's `DRAINED: …` (why it was retired) over the agent's echo of it.
    sql`UPDATE endpoint_replicas SET state = ${input.outcome}::replica_state,
            reason = CASE WHEN state = 'draining' AND ${input.outcome} = 'stopped' THEN coalesce(reason, ${input.reason})
                          ELSE ${input.reason} END,
            ended_at = now()
        WHERE id = ${input.replicaId} AND lease_token = ${input.leaseToken} AND agent_id = ${input.agentId}
          AND state IN ${LIVE}
        RETURNING id`,
  );
  return rows.length > 0;
}

/** Unscoped: a replica the reconciler retires. Live → draining (its agent is told to stop); pending → stopped. */
export async function retireReplicaById(
  db: SqlDb,
  input: { replicaId: string; reason: string },
): Promise<{ agentId: string; leaseToken: string } | null> {
  const rows = await runStatement<{ agent_id: string | null; lease_token: string | null; state: string }>(
    db,
    "replica_retire",
    sql`UPDATE endpoint_replicas
        SET state = CASE WHEN state = 'pending' THEN 'stopped'::replica_state ELSE 'draining'::replica_state END,
            ended_at = CASE WHEN state = 'pending' THEN now() ELSE ended_at END, reason = ${input.reason}
        WHERE id = ${input.replicaId} AND state IN ('pending', 'starting', 'ready')
        RETURNING agent_id, lease_token, state`,
  );
  const r = rows[0];
  return r?.agent_id && r.lease_token && r.state === "draining"
    ? { agentId: String(r.agent_id), leaseToken: String(r.lease_token) }
    : null;
}

/**
 * Unscoped: the reconciler's sweep over every team. Replicas whose lease lapsed (their agent died
 * or lost its connection for a whole TTL) end: a draining one as stopped, any other as failed
 * AGENT_LOST, and the reconciler starts a replacement.
 */
export async function expireReplicaLeasesAll(db: SqlDb): Promise<Array<{ id: string; agentId: string | null }>> {
  const rows = await runStatement<{ id: string; agent_id: string | null }>(
    db,
    "replica_expire",
    sql`UPDATE endpoint_replicas
        SET state = CASE WHEN state = 'draining' THEN 'stopped'::replica_state ELSE 'failed'::replica_state END,
            reason = CASE WHEN state = 'draining' THEN coalesce(reason, 'DRAINED') ELSE
              'AGENT_LOST: the agent stopped renewing the replica''s lease' END,
            ended_at = now()
        WHERE state IN ${LIVE} AND lease_expires_at < now()
        RETURNING id, agent_id`,
  );
  return rows.map((r) => ({ id: String(r.id), agentId: r.agent_id ? String(r.agent_id) : null }));
}

/**
 * Unscoped: keyed by the agent, fenced by the lease tokens it presents. Renews the lease of
 * every replica the agent still holds; `stale` are the claimed ones it no longer holds (ended,
 * expired, placed elsewhere) or that drain: the agent stops them. A draining replica's lease is
 * not renewed, so a lost `replica:stop` is repeated by the next heartbeat's ack and the
 * replica ends within T even if its agent never answers.
 */
export async function renewReplicaLeasesById(
  db: SqlDb,
  input: { agentId: string; held: readonly TReplicaClaim[]; leaseTtlMs: number },
): Promise<{ stale: string[] }> {
  if (input.held.length === 0) return { stale: [] };
  const rows = await runStatement<{ id: string }>(
    db,
    "replica_renew",
    sql`UPDATE endpoint_replicas rp
        SET lease_expires_at = now() + ${Math.round(input.leaseTtlMs)}::int * interval '1 millisecond'
        FROM jsonb_to_recordset(${claimsJson(input.held)}::jsonb) AS x(replica_id uuid, lease_token uuid)
        WHERE rp.id = x.replica_id AND rp.lease_token = x.lease_token AND rp.agent_id = ${input.agentId}
          AND rp.state IN ('starting', 'ready')
        RETURNING rp.id`,
  );
  const renewed = new Set(rows.map((r) => String(r.id)));
  return { stale: input.held.map((c) => c.replicaId).filter((id) => !renewed.has(id)) };
}
