import { z } from "zod";
import { listTrialColumnNames, readTrialBatches, type TTrialTableRow } from "@autoglm/db/queries";
import type { TApiDeps } from "../../context.js";
import { downloadContext, type TDownloader } from "../download-context.js";
import { createCallerFactory, orgProcedure, router } from "../../trpc.js";
import { objectivesOf, studySpecOf } from "@autoglm/protocol";
import { iso, paramsOut, zId } from "../shared.js";
import { loadStudyOrNotFound } from "./get-study.js";

/** Trials per read: 1,000 rows with params and metrics are ~1 MB, one round trip per 1,000 of a 100,000-trial study. */
const EXPORT_BATCH = 1000;

/** One trial as the export writes it: JSON keeps params and metrics as objects, CSV flattens them into columns. */
export interface TExportTrial {
  number: number;
  state: string;
  value: number | null;
  values: unknown;
  params: Record<string, unknown>;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  /** The metrics of the trial's last reported step. */
  metrics: Record<string, unknown> | null;
}

export function exportTrialOf(t: TTrialTableRow): TExportTrial {
  return {
    number: t.number,
    state: t.state,
    value: t.value,
    values: t.values ?? null,
    params: paramsOut(t.params),
    startedAt: iso(t.startedAt),
    finishedAt: iso(t.finishedAt),
    durationSeconds: t.startedAt && t.finishedAt ? (t.finishedAt.getTime() - t.startedAt.getTime()) / 1000 : null,
    metrics: t.lastMetrics,
  };
}

/** What the CSV has columns for: each parameter, each last-step metric, and a multi-objective study's objectives. */
export interface TExportColumns {
  params: string[];
  metrics: string[];
  /** The objectives' metrics when the study has more than one (a `values_<metric>` column each); else empty. */
  objectives: string[];
}

/** The CSV header, Optuna's `trials_dataframe` names: params_<name>, and metrics_<name> for the last step's metrics. */
export function exportCsvHeader(columns: TExportColumns): string[] {
  return [
    "number",
    "state",
    "value",
    ...columns.objectives.map((m) => `values_${m}`),
    "datetime_start",
    "datetime_complete",
    "duration_seconds",
    ...columns.params.map((p) => `params_${p}`),
    ...columns.metrics.map((m) => `metrics_${m}`),
  ];
}

function cell(v: unknown): string | number | boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}

/** A trial's CSV cells, in `exportCsvHeader`'s order; a missing param or metric is an empty cell. */
export function exportCsvRow(t: TExportTrial, columns: TExportColumns) {
  return [
    t.number,
    t.state,
    t.value,
    ...columns.objectives.map((_, i) => (Array.isArray(t.values) ? cell(t.values[i]) : null)),
    t.startedAt,
    t.finishedAt,
    t.durationSeconds,
    ...columns.params.map((p) => cell(t.params[p])),
    ...columns.metrics.map((m) => cell(t.metrics?.[m])),
  ];
}

/** The study and a reader of its trials: for the server's export route only, so not in the app router. */
const studyExport = orgProcedure("viewer", { tokens: "read" })
  .input(z.object({ studyId: zId }).strict())
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const { total, ...names } = await listTrialColumnNames(ctx.db.db, ctx.scope, study.id);
    const objectives = objectivesOf(studySpecOf(study.spec)).map((o) => o.metric);
    const columns: TExportColumns & { total: number } = { ...names, objectives: objectives.length > 1 ? objectives : [], total };
    const { db } = ctx.db;
    const scope = ctx.scope;
    return {
      study: { id: study.id, name: study.name, metric: study.metric, direction: study.direction },
      columns,
      /** Batches of trials in number order, each read when the previous one was written. */
      async *trials(): AsyncGenerator<TExportTrial[]> {
        for await (const batch of readTrialBatches(db, scope, study.id, { batchSize: EXPORT_BATCH }))
          yield batch.map(exportTrialOf);
      },
    };
  });
const exportCaller = createCallerFactory(router({ studyExport }));

/**
 * A study's export, after the same checks as any read procedure: a session acting in `orgId` or
 * an API token with the read scope, the team's (another team's study answers NOT_FOUND, like a
 * missing one). Throws the api's AppError (TOKEN_INVALID, NOT_FOUND, …).
 */
export async function openStudyExport(deps: TApiDeps, who: TDownloader, input: { studyId: string }) {
  return exportCaller(await downloadContext(deps, who)).studyExport(input);
}
export type TStudyExport = Awaited<ReturnType<typeof openStudyExport>>;
