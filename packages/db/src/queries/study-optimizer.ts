import { sql } from "drizzle-orm";
import { runStatement, type SqlDb } from "./sql-runner.js";

/** Unscoped: the scheduler's optimizer rebuild of a study it holds. The study's spec as stored; null if there is no such study. */
export async function findStudySpecById(db: SqlDb, studyId: string): Promise<{ spec: unknown } | null> {
  const rows = await runStatement<{ spec: unknown }>(db, "study_spec", sql`SELECT spec FROM studies WHERE id = ${studyId}`);
  return rows[0] ?? null;
}

/** Unscoped: the scheduler's optimizer rebuild of a study it holds. The study's pruner (a generated column of its spec). */
export async function findStudyPrunerNameById(db: SqlDb, studyId: string): Promise<string | null> {
  const rows = await runStatement<{ pruner_name: string }>(
    db,
    "study_pruner_name",
    sql`SELECT pruner_name FROM studies WHERE id = ${studyId}`,
  );
  return rows[0]?.pruner_name ?? null;
}
