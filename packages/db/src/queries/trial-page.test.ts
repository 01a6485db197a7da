/**
 * The trial table's first page of a long study: read off the study's (study_id, number) index
 * in order, not by sorting every trial of the study, and still the right rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, seedStudy, type TestDb } from "../testing.js";
import { listTrialPage, trialPageStatement } from "./index.js";

const N = 5_000;
let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

/** A study of N trials, every 10th without a value, beside another study of N (as a team's database holds several). */
async function longStudy(tag: string) {
  const s = await seedStudy(db, tag);
  for (const studyId of [s.studyId, (await seedStudy(db, `${tag}-other`)).studyId]) {
    await db.query(
      `INSERT INTO trials (org_id, study_id, number, state, params, value)
       SELECT $1, $2, n, 'complete', jsonb_build_object('x', n), CASE WHEN n % 10 = 3 THEN NULL ELSE (n * 7919) % $3 END
       FROM generate_series(0, $3 - 1) AS n`,
      [s.scope.orgId, studyId, N],
    );
  }
  await db.query("ANALYZE trials");
  return s;
}

/** Every node type of a plan (EXPLAIN's JSON), depth first. */
function nodeTypes(plan: { "Node Type": string; Plans?: unknown[] }): string[] {
  return [plan["Node Type"], ...(plan.Plans ?? []).flatMap((p) => nodeTypes(p as typeof plan))];
}

describe("the trial table's first page", () => {
  it("of 5,000 trials by number comes off the study's number index, with no sort", async () => {
    const s = await longStudy("page-plan");
    const input = {
      studyId: s.studyId,
      filter: {},
      sort: { by: "number" as const, dir: "desc" as const },
      limit: 100,
      offset: 0,
    };
    const statement = trialPageStatement(db.db, s.scope, input).toSQL();
    const [row] = await db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${statement.sql}`, statement.params);
    const raw = row!["QUERY PLAN"];
    const plan = (typeof raw === "string" ? JSON.parse(raw) : raw) as Array<{ Plan: { "Node Type": string } }>;
    const nodes = nodeTypes(plan[0]!.Plan as never);
    expect(nodes).not.toContain("Sort");
    expect(nodes).not.toContain("Incremental Sort");
    expect(JSON.stringify(plan)).toContain("trials_study_number_key");

    const page = await listTrialPage(db.db, s.scope, input);
    expect(page.total).toBe(N);
    expect(page.rows.map((r) => r.number)).toEqual(Array.from({ length: 100 }, (_, i) => N - 1 - i));
    const second = await listTrialPage(db.db, s.scope, { ...input, sort: { by: "number", dir: "asc" }, offset: 100 });
    expect(second.rows.map((r) => r.number)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
  }, 60_000);

  it("by value keeps the trials without one last in either direction, ties by number", async () => {
    const s = await longStudy("page-value");
    const last = await listTrialPage(db.db, s.scope, {
      studyId: s.studyId,
      filter: {},
      sort: { by: "value", dir: "desc" },
      limit: 100,
      offset: N - 100,
    });
    expect(last.rows.every((r) => r.value === null)).toBe(true);
    const numbers = last.rows.map((r) => r.number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  }, 60_000);
});
