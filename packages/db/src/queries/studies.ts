import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { studies, trials } from "../schema.js";
import type { TStudySpec } from "@autoglm/protocol";
import type { DbOrTx, TenantScope } from "./scope.js";
import { trialScopeWhere } from "./trial-scope.js";

export type TStudyRow = typeof studies.$inferSelect;
export type TStudyState = TStudyRow["state"];

export function studyScopeWhere(scope: TenantScope) {
  return and(eq(studies.orgId, scope.orgId), scope.projectId ? eq(studies.projectId, scope.projectId) : undefined);
}

export async function insertStudy(
  db: DbOrTx,
  scope: TenantScope,
  input: {
    projectId: string;
    name: string;
    /** Parsed with protocol's ZStudySpec by the caller (defaults filled). */
    spec: TStudySpec;
    direction: string;
    metric: string;
    createdBy: string | null;
  },
): Promise<TStudyRow> {
  const [row] = await db
    .insert(studies)
    .values({ orgId: scope.orgId, ...input })
    .returning();
  if (!row) throw new Error("study insert returned nothing");
  return row;
}

export async function getStudy(db: DbOrTx, scope: TenantScope, studyId: string): Promise<TStudyRow | null> {
  const rows = await db
    .select()
    .from(studies)
    .where(and(studyScopeWhere(scope), eq(studies.id, studyId)))
    .limit(1);
  return rows[0] ?? null;
}

/** `SELECT … FOR UPDATE`: serialises ask/tell/stop of one study (trial numbers, budget checks). */
export async function lockStudy(db: DbOrTx, scope: TenantScope, studyId: string): Promise<TStudyRow | null> {
  const rows = await db
    .select()
    .from(studies)
    .where(and(studyScopeWhere(scope), eq(studies.id, studyId)))
    .for("update");
  return rows[0] ?? null;
}

/** Unscoped: called with a study that a scoped lock (`lockStudy`) or the scheduler's own returned in the same transaction. */
export async function updateStudyById(
  db: DbOrTx,
  studyId: string,
  patch: Partial<Pick<TStudyRow, "state" | "nextTrialNumber" | "bestTrialId" | "bestValue" | "stoppedAt">>,
): Promise<void> {
  await db
    .update(studies)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(studies.id, studyId));
}

export async function deleteStudy(db: DbOrTx, scope: TenantScope, studyId: string): Promise<boolean> {
  const rows = await db
    .delete(studies)
    .where(and(studyScopeWhere(scope), eq(studies.id, studyId)))
    .returning({ id: studies.id });
  return rows.length > 0;
}

export interface TStudyCounts {
  waiting: number;
  running: number;
  complete: number;
  pruned: number;
  failed: number;
}

/** Trial counts per state of each study; ids outside the scope count nothing. */
export async function countTrialsByState(db: DbOrTx, scope: TenantScope, studyIds: string[]): Promise<Map<string, TStudyCounts>> {
  const out = new Map<string, TStudyCounts>();
  for (const id of studyIds) out.set(id, { waiting: 0, running: 0, complete: 0, pruned: 0, failed: 0 });
  if (studyIds.length === 0) return out;
  const rows = await db
    .select({ studyId: trials.studyId, state: trials.state, n: sql<number>`count(*)::int` })
    .from(trials)
    .where(and(trialScopeWhere(scope), inArray(trials.studyId, studyIds)))
    .groupBy(trials.studyId, trials.state);
  for (const r of rows) {
    const c = out.get(r.studyId);
    if (c) c[r.state] = Number(r.n);
  }
  return out;
}

export async function listStudies(
  db: DbOrTx,
  scope: TenantScope,
  filter: { projectId?: string | undefined; state?: TStudyState | undefined },
) {
  const rows = await db
    .select()
    .from(studies)
    .where(
      and(
        studyScopeWhere(scope),
        filter.projectId ? eq(studies.projectId, filter.projectId) : undefined,
        filter.state ? eq(studies.state, filter.state) : undefined,
      ),
    )
    .orderBy(desc(studies.createdAt))
    .limit(1000);
  const counts = await countTrialsByState(
    db,
    scope,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ study: r, counts: counts.get(r.id)! }));
}

/**
 * The project's study of that name; the newest when several share it (names are not unique:
 * the dashboard may create a second "resnet-lr").
 */
export async function findStudyByName(db: DbOrTx, scope: TenantScope, input: { projectId: string; name: string }) {
  const rows = await db
    .select()
    .from(studies)
    .where(and(studyScopeWhere(scope), eq(studies.projectId, input.projectId), eq(studies.name, input.name)))
    .orderBy(desc(studies.createdAt))
    .limit(1);
  return rows[0] ?? null;
}

/**
 * Names of the studies among `studyIds` that the scope can see (the Agents page labels an
 * agent's running trials with them). Ids outside the scope are simply absent from the map,
 * so a project-restricted token never learns another project's study names.
 */
export async function findStudyNames(
  db: DbOrTx,
  scope: TenantScope,
  studyIds: string[],
): Promise<Map<string, { name: string; projectId: string }>> {
  if (studyIds.length === 0) return new Map();
  const rows = await db
    .select({ id: studies.id, name: studies.name, projectId: studies.projectId })
    .from(studies)
    .where(and(studyScopeWhere(scope), inArray(studies.id, [...new Set(studyIds)])));
  return new Map(rows.map((r) => [r.id, { name: r.name, projectId: r.projectId }]));
}
