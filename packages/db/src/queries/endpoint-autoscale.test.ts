/**
 * Autoscaling's shared state on both drivers: the servers' load reports add up per endpoint
 * (stale ones and other teams' left out), a scale decision is written once when two servers take
 * it from the same state, and the replica count writes never overshoot or undershoot when several
 * reconcilers run them at once.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing.js";
import {
  applyScaleDecisionById,
  findEndpointLoad,
  insertOrgWithOwner,
  insertUser,
  listEndpointLoadAll,
  pruneEndpointLoadAll,
  retireSurplusReplicaById,
  slugify,
  topUpReplicasById,
  upsertEndpointLoadById,
} from "./index.js";
import type { TenantScope } from "./scope.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb({ poolSize: 4 });
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

/** A team with a model, one version and an endpoint serving it. */
async function endpoint(tag: string): Promise<{ scope: TenantScope; endpointId: string; versionId: string }> {
  const owner = (await insertUser(db.db, { email: `${tag}-${randomUUID()}@scale.test`, name: tag, passwordHash: "h" }))!;
  const org = await insertOrgWithOwner(db.db, {
    name: tag,
    slug: slugify(`${tag}-${randomUUID().slice(0, 8)}`),
    ownerId: owner.id,
  });
  const [m] = await db.query<{ id: string }>(`INSERT INTO models (org_id, name) VALUES ($1, 'm') RETURNING id`, [org.id]);
  const [v] = await db.query<{ id: string }>(
    `INSERT INTO model_versions (org_id, model_id, version, flavor, files, digest, total_bytes, attempt, lineage)
     VALUES ($1, $2, 1, 'builtin-mlp', '[]'::jsonb, $3, 0, 1, '{}'::jsonb) RETURNING id`,
    [org.id, m!.id, "a".repeat(64)],
  );
  const [e] = await db.query<{ id: string }>(
    `INSERT INTO endpoints (org_id, name, model_id, version_id, min_replicas, max_replicas) VALUES ($1, 'e', $2, $3, 1, 3) RETURNING id`,
    [org.id, m!.id, v!.id],
  );
  return { scope: { orgId: org.id }, endpointId: e!.id, versionId: v!.id };
}

const active = async (endpointId: string) =>
  Number(
    (
      await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM endpoint_replicas WHERE endpoint_id = $1 AND state IN ('pending', 'starting', 'ready')`,
        [endpointId],
      )
    )[0]!.n,
  );

describe("endpoint load", () => {
  it("sums the fresh reports of every server per endpoint and per replica; stale ones and other teams' are left out", async () => {
    const a = await endpoint("load-a");
    const b = await endpoint("load-b");
    await upsertEndpointLoadById(db, {
      serverId: "s1",
      samples: [{ endpointId: a.endpointId, concurrency: 2.5, rps: 10, replicaLoad: { r1: 2, r2: 0.5 } }],
    });
    await upsertEndpointLoadById(db, {
      serverId: "s2",
      samples: [
        { endpointId: a.endpointId, concurrency: 3, rps: 12, replicaLoad: { r1: 1 } },
        { endpointId: b.endpointId, concurrency: 7, rps: 1, replicaLoad: {} },
        // An endpoint that does not exist is skipped, not an error.
        { endpointId: randomUUID(), concurrency: 1, rps: 1, replicaLoad: {} },
      ],
    });
    // s1 reports again: its row is replaced, not added.
    await upsertEndpointLoadById(db, {
      serverId: "s1",
      samples: [{ endpointId: a.endpointId, concurrency: 2, rps: 8, replicaLoad: { r1: 1.5, r2: 0.5 } }],
    });
    const all = await listEndpointLoadAll(db, { freshMs: 60_000 });
    expect(all.loads.get(a.endpointId)).toEqual({ concurrency: 5, rps: 20, replicaLoad: { r1: 2.5, r2: 0.5 }, servers: 2 });
    expect(Math.abs(all.nowMs - Date.now())).toBeLessThan(60_000);
    expect(await findEndpointLoad(db, a.scope, { endpointId: a.endpointId, freshMs: 60_000 })).toMatchObject({ concurrency: 5 });
    // Another team's endpoint reads as no load.
    expect(await findEndpointLoad(db, a.scope, { endpointId: b.endpointId, freshMs: 60_000 })).toMatchObject({
      concurrency: 0,
      servers: 0,
    });
    await db.query(`UPDATE endpoint_load SET sampled_at = now() - interval '10 seconds' WHERE server_id = 's2'`);
    const fresh = await listEndpointLoadAll(db, { freshMs: 6_000 });
    expect(fresh.loads.get(a.endpointId)).toMatchObject({ concurrency: 2, servers: 1 });
    expect(fresh.loads.has(b.endpointId)).toBe(false);
    await pruneEndpointLoadAll(db, { olderThanMs: 6_000 });
    expect(await db.query(`SELECT server_id FROM endpoint_load WHERE endpoint_id = $1`, [a.endpointId])).toEqual([
      { server_id: "s1" },
    ]);
  });
});

describe("scale writes from several servers", () => {
  it("writes a decision once when two servers take it from the same state", async () => {
    const e = await endpoint("decide");
    const expected = { desiredReplicas: null, lowSinceMs: null, lowPeak: null };
    const next = { desiredReplicas: 3, lowSinceMs: null, lowPeak: null };
    const input = { endpointId: e.endpointId, expected, next, reason: "scaled to 3: concurrency 11.2 over target 4" };
    const written = await Promise.all([applyScaleDecisionById(db, input), applyScaleDecisionById(db, input)]);
    expect(written.filter(Boolean)).toHaveLength(1);
    const lowSince = 1_796_530_176_045;
    const low = { desiredReplicas: 3, lowSinceMs: lowSince, lowPeak: 2 };
    expect(await applyScaleDecisionById(db, { endpointId: e.endpointId, expected: next, next: low, reason: null })).toBe(true);
    // The timestamp reads back exactly, so the next fenced write matches it.
    const [row] = await db.query<{ ms: number; reason: string }>(
      `SELECT round(extract(epoch FROM scale_low_since) * 1000)::float8 AS ms, scale_reason AS reason FROM endpoints WHERE id = $1`,
      [e.endpointId],
    );
    expect({ ms: Number(row!.ms), reason: row!.reason }).toEqual({ ms: lowSince, reason: input.reason });
    expect(await applyScaleDecisionById(db, { endpointId: e.endpointId, expected: low, next, reason: null })).toBe(true);
  });

  it("tops up to exactly the desired count and drains down to exactly `keep`, however many reconcilers run at once", async () => {
    const e = await endpoint("count");
    await Promise.all(Array.from({ length: 4 }, () => topUpReplicasById(db, { ...e, upTo: 3 })));
    expect(await active(e.endpointId)).toBe(3);
    const ids = (await db.query<{ id: string }>(`SELECT id FROM endpoint_replicas WHERE endpoint_id = $1`, [e.endpointId])).map(
      (r) => r.id,
    );
    // Three servers each choose a different replica to drain toward 1: only two go.
    await Promise.all(
      ids.map((replicaId) => retireSurplusReplicaById(db, { ...e, replicaId, keep: 1, reason: "DRAINED: scaled down" })),
    );
    expect(await active(e.endpointId)).toBe(1);
  });
});
