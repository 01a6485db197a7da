import {
  getTrial,
  lastTrialValueById,
  lockStudy,
  lockTrial,
  type TenantScope,
  withTransaction,
  writeAudit,
} from "@autoglm/db/queries";
import { objectivesOf, studySpecOf, type TLiveEvent, type TStudySpec } from "@autoglm/protocol";
import { askLifecycle, SchedulerError, type TActor, type TAskTellDeps } from "./ask-types.js";
import type { TEndCode } from "./lifecycle/end-attempt.js";
import { readTrialValues, valueMetricsOf } from "./lifecycle/trial-values.js";

export type TTellState = "complete" | "failed" | "pruned";

const TELL_CODES: Record<TTellState, TEndCode | null> = { complete: null, failed: "USER_REPORTED_FAILURE", pruned: "PRUNED" };

/**
 * Finishes an ask-trial. Locks the study first, then the trial (the same order as stop),
 * so tell and stop never deadlock. Telling the same final state and value again is a no-op
 * (a client retrying after a lost response); anything else on a finished trial is refused.
 * The trial ends through the lifecycle's one `endAttempt` (best value included), then the
 * study is finished if that was its last trial, all in this transaction.
 */
export async function tellTrial(
  deps: TAskTellDeps,
  input: {
    scope: TenantScope;
    trialId: string;
    value?: number | null | undefined;
    /** One per objective, in spec order (a multi-objective study's complete trial needs them). */
    values?: number[] | undefined;
    /** Other metrics by name: each constraint's metric is read from here. */
    metrics?: Record<string, number> | undefined;
    state?: TTellState | undefined;
    reason?: string | undefined;
    actor: TActor;
  },
): Promise<{ events: TLiveEvent[] }> {
  const state: TTellState = input.state ?? "complete";
  return withTransaction(deps.db, async (tx) => {
    const peek = await getTrial(tx, input.scope, input.trialId);
    if (!peek) throw new SchedulerError("NOT_FOUND", "Trial not found.");
    const study = await lockStudy(tx, input.scope, peek.studyId);
    const trial = study ? await lockTrial(tx, input.scope, input.trialId) : null;
    if (!study || !trial) throw new SchedulerError("NOT_FOUND", "Trial not found.");
    if (trial.state !== "running" && trial.state !== "waiting") {
      const sameValue = (trial.value ?? null) === (input.value ?? null);
      if (trial.state === state && (state !== "complete" || sameValue)) return { events: [] };
      throw new SchedulerError(
        "TRIAL_NOT_RUNNING",
        `Trial ${trial.number} is already ${trial.state}${trial.endCode ? ` (${trial.endCode})` : ""}.`,
      );
    }
    if (trial.leaseKind !== "ask") {
      // Waiting (queued for an agent) and agent-leased trials are finished by the agent path.
      throw new SchedulerError("TRIAL_LEASED_TO_AGENT", `Trial ${trial.number} is run by an agent; the agent tells its result.`);
    }
    const told = toldValues(studySpecOf(study.spec), state, input);
    // A pruned trial's value is its last intermediate value (as Optuna does).
    if (state === "pruned" && told.value === null) told.value = (await lastTrialValueById(tx, trial.id))?.value ?? null;
    const { value } = told;
    const lifecycle = askLifecycle(deps, tx);
    await lifecycle.endAttempt({
      trialId: trial.id,
      leaseKind: "ask",
      mode: state,
      code: TELL_CODES[state],
      reason: input.reason ?? null,
      ...told,
    });
    await lifecycle.finishSpentStudy(study.id);
    await writeAudit(tx, {
      orgId: study.orgId,
      actor: input.actor,
      action: "trial.tell",
      targetType: "trial",
      targetId: trial.id,
      details: { studyId: study.id, number: trial.number, state, value, ...(told.values ? { values: told.values } : {}) },
    });
    return {
      events: [
        { type: "trial:updated", orgId: study.orgId, studyId: study.id, trialId: trial.id },
        { type: "study:updated", orgId: study.orgId, studyId: study.id },
      ],
    };
  });
}

type TTold = { value: number | null; values: number[] | null; constraintValues: number[] | null };

/**
 * What a tell stores, checked against the study's objectives and constraints: `value` for one
 * objective, `values` (one per objective, spec order) for one or several, each constraint's
 * metric from `metrics`. Only a complete trial needs them; a pruned one keeps what it is given.
 */
function toldValues(
  spec: TStudySpec,
  state: TTellState,
  input: { value?: number | null | undefined; values?: number[] | undefined; metrics?: Record<string, number> | undefined },
): TTold {
  const objectives = objectivesOf(spec).map((o) => o.metric);
  const names = objectives.join(", ");
  if (input.values !== undefined && input.value !== undefined && input.value !== null) {
    throw new SchedulerError("VALUE_REQUIRED", "Give value or values, not both.");
  }
  if (input.values !== undefined && input.values.length !== objectives.length) {
    throw new SchedulerError(
      "VALUE_REQUIRED",
      `values: expected ${objectives.length} (one per objective: ${names}), got ${input.values.length}.`,
    );
  }
  if (objectives.length > 1 && input.value !== undefined && input.value !== null) {
    throw new SchedulerError(
      "VALUE_REQUIRED",
      `The study has ${objectives.length} objectives (${names}): give values: [${names}].`,
    );
  }
  const values = input.values ?? (input.value === undefined || input.value === null ? null : [input.value]);
  if (state !== "complete")
    return { value: values?.[0] ?? null, values: state === "pruned" ? values : null, constraintValues: null };
  if (values === null) {
    throw new SchedulerError(
      "VALUE_REQUIRED",
      objectives.length > 1
        ? `Values are required when the state is complete: values: [${names}].`
        : "A value is required when the state is complete.",
    );
  }
  const byName = Object.fromEntries(objectives.map((m, i) => [m, values[i]!]));
  const read = readTrialValues(valueMetricsOf(spec), { ...input.metrics, ...byName });
  if (!read.ok) {
    throw new SchedulerError(
      "VALUE_REQUIRED",
      `metrics.${read.metric}: required: a constraint bounds "${read.metric}"; give its value in metrics.`,
    );
  }
  return { value: read.value, values: read.values, constraintValues: read.constraintValues };
}
