import { and, eq, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { trials } from "../schema.js";
import type { TenantScope } from "./scope.js";

/** Trials are visible when their study is: org always, project for restricted tokens. */
export function trialScopeWhere(scope: TenantScope): SQL | undefined {
  return and(
    eq(trials.orgId, scope.orgId),
    scope.projectId
      ? sql`exists (select 1 from studies s where s.id = "trials"."study_id" and s.project_id = ${scope.projectId})`
      : undefined,
  );
}

/**
 * For rows hanging off one trial (its values, its attempts): visible when that trial is. The
 * rows carry `org_id` themselves; the project check goes through the trial's study.
 */
export function trialChildScopeWhere(scope: TenantScope, orgColumn: AnyColumn, trialId: string): SQL | undefined {
  return and(
    eq(orgColumn, scope.orgId),
    scope.projectId
      ? sql`exists (select 1 from trials t join studies s on s.id = t.study_id where t.id = ${trialId} and s.project_id = ${scope.projectId})`
      : undefined,
  );
}

/**
 * The project half of the scope for raw statements over `trials` (the org is compared
 * directly): true without a project, else the trial's study must be in it.
 */
export function inProject(scope: TenantScope): SQL {
  return sql`(${scope.projectId ?? null}::uuid IS NULL OR EXISTS (
    SELECT 1 FROM studies ps WHERE ps.id = trials.study_id AND ps.project_id = ${scope.projectId ?? null}::uuid))`;
}
