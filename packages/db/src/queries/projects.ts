import { and, desc, eq, sql } from "drizzle-orm";
import { projects } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";

// drizzle renders `${column}` unqualified inside sql``, which would correlate the subquery
// with itself; the outer table is named explicitly.
const STUDY_COUNT = sql<number>`(select count(*)::int from studies s where s.project_id = "projects"."id")`;

function projectWhere(scope: TenantScope, id?: string) {
  return and(
    eq(projects.orgId, scope.orgId),
    scope.projectId ? eq(projects.id, scope.projectId) : undefined,
    id ? eq(projects.id, id) : undefined,
  );
}

export async function listProjects(db: DbOrTx, scope: TenantScope) {
  return db
    .select({
      id: projects.id,
      name: projects.name,
      slug: projects.slug,
      description: projects.description,
      createdAt: projects.createdAt,
      studyCount: STUDY_COUNT,
    })
    .from(projects)
    .where(projectWhere(scope))
    .orderBy(desc(projects.createdAt));
}

export async function getProject(db: DbOrTx, scope: TenantScope, projectId: string) {
  const rows = await db
    .select({
      id: projects.id,
      name: projects.name,
      slug: projects.slug,
      description: projects.description,
      createdAt: projects.createdAt,
      studyCount: STUDY_COUNT,
    })
    .from(projects)
    .where(projectWhere(scope, projectId))
    .limit(1);
  return rows[0] ?? null;
}

/**
 * `SELECT … FOR UPDATE` on the project row: serialises "find a study by name, else create
 * it" (study.applySpec) so two CI jobs applying the same file at once make one study.
 */
export async function lockProject(db: DbOrTx, scope: TenantScope, projectId: string): Promise<{ id: string } | null> {
  const rows = await db.select({ id: projects.id }).from(projects).where(projectWhere(scope, projectId)).for("update");
  return rows[0] ?? null;
}

export async function findProjectBySlug(db: DbOrTx, scope: TenantScope, slug: string) {
  const rows = await db
    .select()
    .from(projects)
    .where(and(projectWhere(scope), eq(projects.slug, slug)))
    .limit(1);
  return rows[0] ?? null;
}

export async function insertProject(
  db: DbOrTx,
  scope: TenantScope,
  input: { name: string; slug: string; description: string | null },
): Promise<{ id: string; slug: string } | null> {
  const rows = await db
    .insert(projects)
    .values({ orgId: scope.orgId, ...input })
    .onConflictDoNothing()
    .returning({ id: projects.id, slug: projects.slug });
  return rows[0] ?? null;
}
