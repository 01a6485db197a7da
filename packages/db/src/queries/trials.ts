import { and, asc, desc, eq, inArray, isNotNull, sql, type SQL } from "drizzle-orm";
import { trialAttempts, trials, trialValues } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";
import { trialChildScopeWhere, trialScopeWhere } from "./trial-scope.js";

export type TTrialRow = typeof trials.$inferSelect;
export type TTrialState = TTrialRow["state"];

export async function getTrial(db: DbOrTx, scope: TenantScope, trialId: string): Promise<TTrialRow | null> {
  const rows = await db
    .select()
    .from(trials)
    .where(and(trialScopeWhere(scope), eq(trials.id, trialId)))
    .limit(1);
  return rows[0] ?? null;
}

/** The trial numbered `number` in a study (numbers are unique per study), or null. */
export async function getTrialByNumber(
  db: DbOrTx,
  scope: TenantScope,
  studyId: string,
  number: number,
): Promise<TTrialRow | null> {
  const rows = await db
    .select()
    .from(trials)
    .where(and(trialScopeWhere(scope), eq(trials.studyId, studyId), eq(trials.number, number)))
    .limit(1);
  return rows[0] ?? null;
}

export async function lockTrial(db: DbOrTx, scope: TenantScope, trialId: string): Promise<TTrialRow | null> {
  const rows = await db
    .select()
    .from(trials)
    .where(and(trialScopeWhere(scope), eq(trials.id, trialId)))
    .for("update");
  return rows[0] ?? null;
}

/** [step, value] lists per trial, in the rows' order. */
function pointsByTrial(
  rows: ReadonlyArray<{ trialId: string; step: number; value: number }>,
): Map<string, Array<[number, number]>> {
  const byTrial = new Map<string, Array<[number, number]>>();
  for (const r of rows) {
    let list = byTrial.get(r.trialId);
    if (!list) byTrial.set(r.trialId, (list = []));
    list.push([r.step, r.value]);
  }
  return byTrial;
}

/**
 * Every trial of a study, with its intermediate values when asked for: what the optimizer
 * is rebuilt from. Samplers need only params and values (one row per trial); the pruner
 * needs the curves, which can be 100x more rows, so `withIntermediate` is opt-in.
 */
export async function loadStudyHistory(
  db: DbOrTx,
  scope: TenantScope,
  studyId: string,
  opts: { withIntermediate?: boolean } = {},
) {
  const rows = await db
    .select()
    .from(trials)
    .where(and(trialScopeWhere(scope), eq(trials.studyId, studyId)))
    .orderBy(asc(trials.number));
  if (opts.withIntermediate === false || rows.length === 0) {
    return rows.map((t) => ({ trial: t, intermediate: [] as Array<[number, number]> }));
  }
  // The study's trials passed the scope above, so its curves are the caller's to read.
  const byTrial = await listAllCurvesByStudyId(db, studyId);
  return rows.map((t) => ({ trial: t, intermediate: byTrial.get(t.id) ?? [] }));
}

/** Unscoped: for the scheduler's optimizer rebuild of a study it holds. Every trial's [step, value] curve, in step order. */
export async function listAllCurvesByStudyId(db: DbOrTx, studyId: string): Promise<Map<string, Array<[number, number]>>> {
  const values = await db
    .select({ trialId: trialValues.trialId, step: trialValues.step, value: trialValues.value })
    .from(trialValues)
    .innerJoin(trials, eq(trials.id, trialValues.trialId))
    .where(eq(trials.studyId, studyId))
    .orderBy(asc(trialValues.step));
  return pointsByTrial(values);
}

/**
 * Unscoped: for the scheduler's optimizer rebuild of a study it holds.
 * A study's trials without their curves, with what tells whether a finished trial's curve may
 * have changed since it was last read (its state, attempt, last step and update time: every
 * write of a trial's values also writes its row).
 */
export async function listTrialStampsByStudyId(db: DbOrTx, studyId: string) {
  return db
    .select({
      id: trials.id,
      number: trials.number,
      state: trials.state,
      params: trials.params,
      value: trials.value,
      values: trials.values,
      constraintValues: trials.constraintValues,
      proposedBy: trials.proposedBy,
      attempt: trials.attempt,
      lastStep: trials.lastStep,
      updatedAt: trials.updatedAt,
    })
    .from(trials)
    .where(eq(trials.studyId, studyId))
    .orderBy(asc(trials.number));
}

/** Unscoped: for the scheduler, with trial ids `listTrialStampsByStudyId` returned. Their [step, value] curves, in step order. */
export async function listCurvesByTrialIds(
  db: DbOrTx,
  trialIds: readonly string[],
): Promise<Map<string, Array<[number, number]>>> {
  if (trialIds.length === 0) return new Map();
  const rows = await db
    .select({ trialId: trialValues.trialId, step: trialValues.step, value: trialValues.value })
    .from(trialValues)
    .where(inArray(trialValues.trialId, [...trialIds]))
    .orderBy(asc(trialValues.step));
  return pointsByTrial(rows);
}

/** Unscoped: called with a study locked (scoped, or by the scheduler) in the same transaction. */
export async function countInFlightByStudyId(db: DbOrTx, studyId: string): Promise<{ inFlight: number; total: number }> {
  const rows = await db
    .select({
      inFlight: sql<number>`count(*) filter (where ${trials.state} in ('waiting','running'))::int`,
      total: sql<number>`count(*)::int`,
    })
    .from(trials)
    .where(eq(trials.studyId, studyId));
  return { inFlight: Number(rows[0]?.inFlight ?? 0), total: Number(rows[0]?.total ?? 0) };
}

export async function insertTrial(
  db: DbOrTx,
  scope: TenantScope,
  input: Pick<TTrialRow, "studyId" | "number" | "state" | "params"> &
    Partial<Pick<TTrialRow, "attempt" | "leaseKind" | "leaseToken" | "leaseExpiresAt" | "startedAt">>,
): Promise<TTrialRow> {
  const [row] = await db
    .insert(trials)
    .values({ orgId: scope.orgId, ...input })
    .returning();
  if (!row) throw new Error("trial insert returned nothing");
  return row;
}

/** Unscoped: called with a trial that a scoped lock (`lockTrial`) or the scheduler's own returned in the same transaction. */
export async function updateTrialById(
  db: DbOrTx,
  trialId: string,
  patch: Partial<
    Pick<
      TTrialRow,
      "state" | "value" | "leaseExpiresAt" | "leaseToken" | "leaseKind" | "endCode" | "endReason" | "lastStep" | "finishedAt"
    >
  >,
): Promise<void> {
  await db
    .update(trials)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(trials.id, trialId));
}

export async function insertAttempt(
  db: DbOrTx,
  scope: TenantScope,
  input: { trialId: string; attempt: number; leaseKind: "ask" | "agent"; startedAt: Date },
): Promise<void> {
  await db.insert(trialAttempts).values({ orgId: scope.orgId, ...input });
}

/** Idempotent per (trial, step): a replayed report overwrites with the same value. */
export async function upsertTrialValue(
  db: DbOrTx,
  scope: TenantScope,
  input: { trialId: string; step: number; value: number; attempt: number },
): Promise<void> {
  await db
    .insert(trialValues)
    .values({ orgId: scope.orgId, ...input })
    .onConflictDoUpdate({ target: [trialValues.trialId, trialValues.step], set: { value: input.value } });
}

export async function listTrialValues(db: DbOrTx, scope: TenantScope, trialId: string) {
  return db
    .select({ step: trialValues.step, value: trialValues.value })
    .from(trialValues)
    .where(and(trialChildScopeWhere(scope, trialValues.orgId, trialId), eq(trialValues.trialId, trialId)))
    .orderBy(asc(trialValues.step));
}

export async function listTrialAttempts(db: DbOrTx, scope: TenantScope, trialId: string) {
  return db
    .select()
    .from(trialAttempts)
    .where(and(trialChildScopeWhere(scope, trialAttempts.orgId, trialId), eq(trialAttempts.trialId, trialId)))
    .orderBy(asc(trialAttempts.attempt));
}

export type TTrialSortKey = "number" | "value" | "state" | "startedAt" | "finishedAt" | "duration";

export async function listTrials(
  db: DbOrTx,
  scope: TenantScope,
  input: {
    studyId: string;
    state?: TTrialState | undefined;
    sort?: { by: TTrialSortKey; dir: "asc" | "desc" } | undefined;
    limit: number;
    offset: number;
    paramFilter?: Record<string, string | number | boolean> | undefined;
  },
) {
  const by = input.sort?.by ?? "number";
  const dirFn = (input.sort?.dir ?? "asc") === "asc" ? asc : desc;
  const col: SQL | typeof trials.number =
    by === "number"
      ? trials.number
      : by === "value"
        ? sql`${trials.value}`
        : by === "state"
          ? sql`${trials.state}`
          : by === "startedAt"
            ? sql`${trials.startedAt}`
            : by === "finishedAt"
              ? sql`${trials.finishedAt}`
              : sql`(${trials.finishedAt} - ${trials.startedAt})`;
  const rows = await db
    .select()
    .from(trials)
    .where(
      and(
        trialScopeWhere(scope),
        eq(trials.studyId, input.studyId),
        input.state ? eq(trials.state, input.state) : undefined,
        input.paramFilter && Object.keys(input.paramFilter).length
          ? sql`${trials.params} @> ${JSON.stringify(input.paramFilter)}::jsonb`
          : undefined,
      ),
    )
    // Nulls last whatever the direction, then number as a stable tiebreak for the cursor.
    .orderBy(sql`${col} is null`, dirFn(col), asc(trials.number))
    .limit(input.limit + 1)
    .offset(input.offset);
  return { rows: rows.slice(0, input.limit), hasMore: rows.length > input.limit };
}

/** Finished trials in finish order: the optimization-history chart. */
export async function listFinishedTrials(db: DbOrTx, scope: TenantScope, studyId: string) {
  return db
    .select({
      id: trials.id,
      number: trials.number,
      value: trials.value,
      state: trials.state,
      finishedAt: trials.finishedAt,
    })
    .from(trials)
    .where(and(trialScopeWhere(scope), eq(trials.studyId, studyId), inArray(trials.state, ["complete", "pruned", "failed"])))
    .orderBy(asc(trials.finishedAt), asc(trials.number))
    .limit(100_000);
}

/**
 * Learning curves for the study page: the `maxTrials` highest-numbered trials that reported,
 * each thinned to every k-th report, k the smallest stride that leaves at most `maxPoints`
 * (its first and last kept), so the chart of a long study costs a bounded read. Ascending
 * by trial number, then step.
 */
export async function listStudyCurves(
  db: DbOrTx,
  scope: TenantScope,
  studyId: string,
  opts: { maxTrials: number; maxPoints: number },
): Promise<
  Array<{ trialId: string; number: number; state: TTrialState; endReason: string | null; points: Array<[number, number]> }>
> {
  const picked = await db
    .select({ id: trials.id, number: trials.number, state: trials.state, endReason: trials.endReason })
    .from(trials)
    .where(and(trialScopeWhere(scope), eq(trials.studyId, studyId), isNotNull(trials.lastStep)))
    .orderBy(desc(trials.number))
    .limit(opts.maxTrials);
  if (picked.length === 0) return [];
  const ranked = db
    .select({
      trialId: trialValues.trialId,
      step: trialValues.step,
      value: trialValues.value,
      rn: sql<number>`row_number() over (partition by ${trialValues.trialId} order by ${trialValues.step})`.as("rn"),
      n: sql<number>`count(*) over (partition by ${trialValues.trialId})`.as("n"),
    })
    .from(trialValues)
    .where(
      inArray(
        trialValues.trialId,
        picked.map((p) => p.id),
      ),
    )
    .as("ranked");
  const stride = sql`greatest(1, ceil(${ranked.n}::float8 / ${opts.maxPoints})::int)`;
  const rows = await db
    .select({ trialId: ranked.trialId, step: ranked.step, value: ranked.value })
    .from(ranked)
    .where(sql`(${ranked.rn} - 1) % ${stride} = 0 or ${ranked.rn} = ${ranked.n}`)
    .orderBy(asc(ranked.step));
  const byTrial = pointsByTrial(rows);
  return picked
    .map((p) => ({ trialId: p.id, number: p.number, state: p.state, endReason: p.endReason, points: byTrial.get(p.id) ?? [] }))
    .filter((c) => c.points.length > 0)
    .sort((a, b) => a.number - b.number);
}
