/**
 * The tenant-scoped query layer: every function builds its own `where` from the scope, so a
 * row of another org (or, for a project-restricted scope, another project) reads as absent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing.js";
import {
  findUserByEmail,
  getProject,
  getStudy,
  getTrial,
  hitRateLimit,
  insertOrgWithOwner,
  insertProject,
  insertStudy,
  insertToken,
  insertTrial,
  insertUser,
  listProjects,
  listStudies,
  listTrials,
  lockStudy,
  readRateLimit,
  revokeToken,
  slugify,
  touchTokenLastUsed,
  windowStartOf,
  withTransaction,
} from "./index.js";
import type { TStudySpec } from "@autoglm/protocol";

const SPEC: TStudySpec = {
  name: "s",
  objective: { metric: "m", direction: "minimize" },
  space: { x: { type: "float", low: 0, high: 1 } },
  sampler: { name: "random", seed: 0 },
  pruner: { name: "none" },
  budget: { max_trials: 100, max_parallel: 4, max_attempts: 3, lease_minutes: 10 },
};

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function org(tag: string) {
  const u = await insertUser(db.db, { email: `${tag}@X.test`, name: tag, passwordHash: "h" });
  const o = await insertOrgWithOwner(db.db, { name: tag, slug: slugify(tag), ownerId: u!.id });
  const p1 = (await insertProject(db.db, { orgId: o.id }, { name: "one", slug: "one", description: null }))!;
  const p2 = (await insertProject(db.db, { orgId: o.id }, { name: "two", slug: "two", description: null }))!;
  const s = await insertStudy(
    db.db,
    { orgId: o.id },
    { projectId: p1.id, name: "s", spec: SPEC, direction: "minimize", metric: "m", createdBy: u!.id },
  );
  const t = await insertTrial(db.db, { orgId: o.id }, { studyId: s.id, number: 0, state: "running", params: { x: 1 } });
  return { userId: u!.id, orgId: o.id, p1: p1.id, p2: p2.id, studyId: s.id, trialId: t.id };
}

describe("tenant-scoped queries", () => {
  it("another org's rows read as absent; a project-restricted scope sees only its project", async () => {
    const a = await org("alpha");
    const b = await org("beta");
    expect(await getProject(db.db, { orgId: a.orgId }, b.p1)).toBeNull();
    expect(await getStudy(db.db, { orgId: a.orgId }, b.studyId)).toBeNull();
    expect(await getTrial(db.db, { orgId: a.orgId }, b.trialId)).toBeNull();
    expect(await withTransaction(db.db, (tx) => lockStudy(tx, { orgId: a.orgId }, b.studyId))).toBeNull();
    expect((await listTrials(db.db, { orgId: a.orgId }, { studyId: b.studyId, limit: 10, offset: 0 })).rows).toEqual([]);
    expect((await getStudy(db.db, { orgId: a.orgId }, a.studyId))?.id).toBe(a.studyId);
    const restricted = { orgId: a.orgId, projectId: a.p2 };
    expect((await listProjects(db.db, restricted)).map((p) => p.id)).toEqual([a.p2]);
    expect(await getStudy(db.db, restricted, a.studyId)).toBeNull();
    expect(await getTrial(db.db, restricted, a.trialId)).toBeNull();
    expect(await listStudies(db.db, restricted, {})).toEqual([]);
    expect((await listProjects(db.db, { orgId: a.orgId })).find((p) => p.id === a.p1)?.studyCount).toBe(1);
  });

  it("emails are case-insensitive and unique", async () => {
    expect((await findUserByEmail(db.db, "ALPHA@x.test"))?.name).toBe("alpha");
    expect(await insertUser(db.db, { email: "alpha@x.TEST", name: "dup", passwordHash: "h" })).toBeNull();
  });

  it("rate-limit counters are atomic per key and window", async () => {
    const w = windowStartOf(new Date("2030-01-01T00:07:30Z"), 15 * 60_000);
    expect(w.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    const counts = await Promise.all(Array.from({ length: 5 }, () => hitRateLimit(db.db, { key: "k", windowStart: w })));
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await readRateLimit(db.db, { key: "k", windowStart: w })).toBe(5);
  });

  it("last_used_at is written at most once per throttle window; revoke is org- and owner-scoped", async () => {
    const a = await org("gamma");
    const b = await org("delta");
    const tok = await insertToken(
      db.db,
      { orgId: a.orgId },
      {
        userId: a.userId,
        name: "t",
        prefix: "agl_abcd",
        tokenHash: "h-gamma",
        scopes: ["read"],
        projectId: null,
        expiresAt: null,
      },
    );
    const t0 = new Date("2030-01-01T00:00:00Z");
    await touchTokenLastUsed(db.db, { id: tok.id, now: t0, throttleMs: 60_000 });
    await touchTokenLastUsed(db.db, { id: tok.id, now: new Date(t0.getTime() + 30_000), throttleMs: 60_000 });
    const [r1] = await db.query<{ last_used_at: Date }>("select last_used_at from api_tokens where id = $1", [tok.id]);
    expect(new Date(r1!.last_used_at).toISOString()).toBe(t0.toISOString());
    await touchTokenLastUsed(db.db, { id: tok.id, now: new Date(t0.getTime() + 61_000), throttleMs: 60_000 });
    const [r2] = await db.query<{ last_used_at: Date }>("select last_used_at from api_tokens where id = $1", [tok.id]);
    expect(new Date(r2!.last_used_at).getTime()).toBe(t0.getTime() + 61_000);
    expect(await revokeToken(db.db, { orgId: b.orgId }, { id: tok.id, at: t0 })).toBe(false);
    expect(await revokeToken(db.db, { orgId: a.orgId }, { id: tok.id, userId: b.userId, at: t0 })).toBe(false);
    expect(await revokeToken(db.db, { orgId: a.orgId }, { id: tok.id, userId: a.userId, at: t0 })).toBe(true);
  });
});
