import { PROTOCOL_VERSION, primaryObjective, type TStudySpec, type TTrialLease } from "@autoglm/protocol";
import type { LeasedTrial } from "./lease-trial.js";

type TRunSection = NonNullable<TStudySpec["run"]>;

/**
 * The `trial:lease` an agent receives for a leased trial: the study spec's objective and run
 * section, field by field in the protocol's names (`timeout_minutes` → `timeoutMinutes`).
 * Absent optional fields stay absent, so the payload is what ZTrialLease accepts.
 */
export function leasePayloadOf(l: LeasedTrial): TTrialLease {
  const run = l.spec.run;
  // The lease statement takes trials of studies with run.command or run.builtin only.
  if (!run) throw new Error(`study ${l.studyId} has no run section; its trials cannot be leased to agents`);
  return {
    v: PROTOCOL_VERSION,
    trialId: l.trialId,
    attempt: l.attempt,
    leaseToken: l.leaseToken,
    studyId: l.studyId,
    number: l.number,
    leaseExpiresAt: l.leaseExpiresAt,
    params: l.params,
    objective: primaryObjective(l.spec),
    run: runOf(run),
  };
}

function runOf(run: TRunSection): TTrialLease["run"] {
  const { gpus, memory_gb: memoryGb, labels } = run.resources;
  return {
    ...(run.builtin ? { builtin: run.builtin } : { command: run.command }),
    ...(run.workdir ? { workdir: run.workdir } : {}),
    ...(run.env ? { env: run.env } : {}),
    ...(run.timeout_minutes ? { timeoutMinutes: run.timeout_minutes } : {}),
    ...(run.artifacts ? { artifacts: run.artifacts } : {}),
    ...(run.artifacts_max_mb !== undefined ? { artifactsMaxMb: run.artifacts_max_mb } : {}),
    resources: { gpus, ...(memoryGb ? { memory_gb: memoryGb } : {}), ...(labels ? { labels } : {}) },
  };
}
