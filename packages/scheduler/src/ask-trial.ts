import { randomUUID } from "node:crypto";
import {
  countInFlight,
  insertAttempt,
  insertTrial,
  lockStudy,
  type TenantScope,
  updateStudy,
  withTransaction,
  writeAudit,
} from "@autoglm/db/queries";
import type { TStudySpec } from "@autoglm/protocol";
import { rebuildOptimizer } from "./ask-optimizer.js";
import { studyHistories } from "./study-history.js";
import { nowOf, SchedulerError, type TActor, type TAskTellDeps, type TDomainEvent } from "./ask-types.js";

export interface TAskedTrialResult {
  trialId: string;
  number: number;
  params: Record<string, unknown>;
  leaseExpiresAt: Date;
  leaseToken: string;
  events: TDomainEvent[];
}

export function askLeaseMs(deps: TAskTellDeps, spec: TStudySpec): number {
  return deps.config?.askLeaseMs ?? Math.round((spec.budget?.lease_minutes ?? 10) * 60_000);
}

/**
 * Hands out the study's next trial to a program that evaluates it itself (ask/tell).
 * One transaction, the study row locked FOR UPDATE: concurrent asks queue on that row,
 * so numbers are unique and max_parallel / max_trials cannot be overshot by a race.
 */
export async function askTrial(
  deps: TAskTellDeps,
  input: { scope: TenantScope; studyId: string; actor: TActor },
): Promise<TAskedTrialResult> {
  const now = nowOf(deps);
  return withTransaction(deps.db, async (tx) => {
    const study = await lockStudy(tx, input.scope, input.studyId);
    if (!study) throw new SchedulerError("NOT_FOUND", "Study not found.");
    if (study.state !== "running") {
      throw new SchedulerError("STUDY_NOT_RUNNING", `The study is ${study.state}; only a running study hands out trials.`);
    }
    const spec = study.spec as TStudySpec;
    const { inFlight, total } = await countInFlight(tx, study.id);
    if (total >= spec.budget.max_trials) {
      throw new SchedulerError(
        "STUDY_BUDGET_EXHAUSTED",
        `The study has used its budget of ${spec.budget.max_trials} trials (budget.max_trials).`,
      );
    }
    if (inFlight >= spec.budget.max_parallel) {
      throw new SchedulerError(
        "MAX_PARALLEL_REACHED",
        `The study already has ${inFlight} trials in flight (budget.max_parallel is ${spec.budget.max_parallel}); tell one before asking for another.`,
      );
    }
    // Samplers rank pruned trials by how far and how well they got: they see the curves too
    // (read through the cache: only running and newly finished trials' curves are read).
    const history = await (deps.histories ?? studyHistories).load(tx, study.id);
    const opt = rebuildOptimizer(spec, history);
    const number = study.nextTrialNumber;
    const asked = opt.ask({ id: number });
    const leaseToken = randomUUID();
    const leaseExpiresAt = new Date(now.getTime() + askLeaseMs(deps, spec));
    const trial = await insertTrial(tx, {
      orgId: study.orgId,
      studyId: study.id,
      number,
      state: "running",
      params: asked.params,
      attempt: 1,
      leaseKind: "ask",
      leaseToken,
      leaseExpiresAt,
      startedAt: now,
    });
    await insertAttempt(tx, { trialId: trial.id, orgId: study.orgId, attempt: 1, leaseKind: "ask", startedAt: now });
    await updateStudy(tx, study.id, { nextTrialNumber: number + 1 });
    await writeAudit(tx, {
      orgId: study.orgId,
      actor: input.actor,
      action: "trial.ask",
      targetType: "trial",
      targetId: trial.id,
      details: { studyId: study.id, number },
    });
    return {
      trialId: trial.id,
      number,
      params: asked.params as Record<string, unknown>,
      leaseExpiresAt,
      leaseToken,
      events: [
        { type: "trial.updated", orgId: study.orgId, studyId: study.id, trialId: trial.id },
        { type: "study.updated", orgId: study.orgId, studyId: study.id },
      ],
    };
  });
}
