/**
 * The columns SQL reads instead of JSON paths into `studies.spec` (schema.ts): generated from
 * the spec by PostgreSQL itself, so a row written before a budget field existed, and a spec
 * replaced later, read the same as a new row.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TStudySpec } from "@autoglm/protocol";
import { insertOrgWithOwner, insertProject, insertStudy, insertUser, slugify } from "./queries/index.js";
import { createTestDb, type TestDb } from "./testing.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

const SPEC: TStudySpec = {
  name: "gpu",
  objective: { metric: "loss", direction: "minimize" },
  space: { x: { type: "float", low: 0, high: 1 } },
  sampler: { name: "tpe", seed: 0 },
  pruner: { name: "asha" },
  budget: { max_trials: 20, max_parallel: 2, max_attempts: 5, max_failures: 7, lease_minutes: 10 },
  run: { command: "python train.py", resources: { gpus: 2, memory_gb: 1.5, labels: { zone: "a" } } },
};

interface TColumns {
  runs_on_agents: boolean;
  gpus_needed: number;
  memory_mb_needed: number | null;
  labels_needed: unknown;
  max_attempts: number;
  max_trials: number;
  max_parallel: number;
  max_failures: number | null;
  pruner_name: string;
}

async function columnsOf(studyId: string): Promise<TColumns> {
  const [row] = await db.query<TColumns>(
    `SELECT runs_on_agents, gpus_needed, memory_mb_needed, labels_needed, max_attempts, max_trials, max_parallel,
            max_failures, pruner_name
     FROM studies WHERE id = $1`,
    [studyId],
  );
  if (!row) throw new Error("no such study");
  return { ...row, memory_mb_needed: row.memory_mb_needed === null ? null : Number(row.memory_mb_needed) };
}

async function team() {
  const user = (await insertUser(db.db, { email: "cols@x.test", name: "cols", passwordHash: "h" }))!;
  const org = await insertOrgWithOwner(db.db, { name: "cols", slug: slugify("cols"), ownerId: user.id });
  const project = (await insertProject(db.db, { orgId: org.id }, { name: "p", slug: "p", description: null }))!;
  return { orgId: org.id, projectId: project.id };
}

describe("studies' spec columns", () => {
  it("are the spec's run resources and budget; a row without them reads the spec defaults; a new spec recomputes them", async () => {
    const t = await team();
    const study = await insertStudy(
      db.db,
      { orgId: t.orgId },
      { projectId: t.projectId, name: SPEC.name, spec: SPEC, direction: "minimize", metric: "loss", createdBy: null },
    );
    expect(await columnsOf(study.id)).toEqual({
      runs_on_agents: true,
      gpus_needed: 2,
      memory_mb_needed: 1536,
      labels_needed: { zone: "a" },
      max_attempts: 5,
      max_trials: 20,
      max_parallel: 2,
      max_failures: 7,
      pruner_name: "asha",
    });

    // A spec stored without the sections zod now fills (an ask/tell study, no budget, no pruner).
    const [old] = await db.query<{ id: string }>(
      `INSERT INTO studies (org_id, project_id, name, spec, direction, metric)
       VALUES ($1, $2, 'old', $3::jsonb, 'minimize', 'loss') RETURNING id`,
      [t.orgId, t.projectId, JSON.stringify({ name: "old", objective: SPEC.objective, space: SPEC.space })],
    );
    expect(await columnsOf(old!.id)).toEqual({
      runs_on_agents: false,
      gpus_needed: 0,
      memory_mb_needed: null,
      labels_needed: {},
      max_attempts: 3,
      max_trials: 100,
      max_parallel: 4,
      max_failures: null,
      pruner_name: "none",
    });

    await db.query(`UPDATE studies SET spec = $2::jsonb WHERE id = $1`, [
      old!.id,
      JSON.stringify({ ...SPEC, run: { builtin: { trainer: "mlp", dataset: "digits" }, resources: { gpus: 0 } } }),
    ]);
    expect(await columnsOf(old!.id)).toMatchObject({
      runs_on_agents: true,
      gpus_needed: 0,
      memory_mb_needed: null,
      max_attempts: 5,
    });
  });

  it("cannot be written: the database refuses a value that disagrees with the spec", async () => {
    const [study] = await db.query<{ id: string }>(`SELECT id FROM studies WHERE name = 'gpu'`);
    await expect(db.query(`UPDATE studies SET gpus_needed = 0 WHERE id = $1`, [study!.id])).rejects.toThrow(
      /can only be updated to DEFAULT/,
    );
    expect((await columnsOf(study!.id)).gpus_needed).toBe(2);
  });
});
