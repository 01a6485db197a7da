import { sql } from "drizzle-orm";
import { runStatement, type SqlDb } from "./sql-runner.js";
import type { DbOrTx } from "./scope.js";
import { withTransaction } from "./tx.js";

/**
 * The two writes that change how many replicas of a version an endpoint runs, made safe for
 * several servers' reconcilers deciding at once (each reads the same state and would otherwise
 * add or drain the same replicas twice: 1 → 3 became 5 with two servers). Each takes the
 * endpoint's row lock, then counts in its own statement, which in READ COMMITTED sees what a
 * reconciler that held the lock before committed.
 */

const ACTIVE = sql.raw(`('pending', 'starting', 'ready')`);

async function underEndpointLock<T>(db: SqlDb, endpointId: string, fn: (tx: DbOrTx) => Promise<T>): Promise<T> {
  const drizzle = "driver" in db ? db.db : db;
  return withTransaction(drizzle, async (tx) => {
    await tx.execute(sql`SELECT 1 FROM endpoints WHERE id = ${endpointId} FOR UPDATE`);
    return fn(tx);
  });
}

/** Unscoped: an endpoint the reconciler read. Adds pending replicas of the version until it has `upTo` not yet ended. */
export async function topUpReplicasById(
  db: SqlDb,
  input: { endpointId: string; versionId: string; upTo: number },
): Promise<number> {
  return underEndpointLock(db, input.endpointId, async (tx) => {
    const rows = await runStatement(
      tx,
      "replicas_top_up",
      sql`INSERT INTO endpoint_replicas (org_id, endpoint_id, model_version_id)
          SELECT e.org_id, e.id, ${input.versionId} FROM endpoints e,
            generate_series(1, ${input.upTo}::int - (SELECT count(*)::int FROM endpoint_replicas r
              WHERE r.endpoint_id = ${input.endpointId} AND r.model_version_id = ${input.versionId} AND r.state IN ${ACTIVE}))
          WHERE e.id = ${input.endpointId} AND e.deleted_at IS NULL
          RETURNING id`,
    );
    return rows.length;
  });
}

/**
 * Unscoped: a replica of the endpoint's target version the reconciler chose to drain (a scale-down).
 * Retires it only while more than `keep` replicas of the version are not yet ended, so two
 * reconcilers choosing different replicas never drain below `keep`. Its agent and lease when it
 * was live (the caller sends `replica:stop`), else null.
 */
export async function retireSurplusReplicaById(
  db: SqlDb,
  input: { endpointId: string; versionId: string; replicaId: string; keep: number; reason: string },
): Promise<{ agentId: string; leaseToken: string } | null> {
  return underEndpointLock(db, input.endpointId, async (tx) => {
    const rows = await runStatement<{ agent_id: string | null; lease_token: string | null; state: string }>(
      tx,
      "replica_retire_surplus",
      sql`UPDATE endpoint_replicas
          SET state = CASE WHEN state = 'pending' THEN 'stopped'::replica_state ELSE 'draining'::replica_state END,
              ended_at = CASE WHEN state = 'pending' THEN now() ELSE ended_at END, reason = ${input.reason}
          WHERE id = ${input.replicaId} AND endpoint_id = ${input.endpointId} AND state IN ${ACTIVE}
            AND (SELECT count(*) FROM endpoint_replicas r WHERE r.endpoint_id = ${input.endpointId}
                   AND r.model_version_id = ${input.versionId} AND r.state IN ${ACTIVE}) > ${input.keep}::int
          RETURNING agent_id, lease_token, state`,
    );
    const r = rows[0];
    return r?.agent_id && r.lease_token && r.state === "draining"
      ? { agentId: String(r.agent_id), leaseToken: String(r.lease_token) }
      : null;
  });
}
