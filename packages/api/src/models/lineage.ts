import { z } from "zod";
import type { TRegistrationSource } from "@autoglm/db/queries";
import { objectivesOf, primaryObjective } from "@autoglm/protocol";
import { maskSpecSecrets } from "../secrets.js";

/** Where a version came from, as it was when registered (kept when the study or trial is deleted later). */
export const ZLineage = z.object({
  study: z.object({ id: z.string(), name: z.string() }),
  trial: z.object({ id: z.string(), number: z.number().int(), state: z.string() }),
  attempt: z.number().int(),
  params: z.record(z.string(), z.unknown()),
  objective: z.object({ metric: z.string(), direction: z.enum(["minimize", "maximize"]) }),
  /** The trial's told value(s) and the metrics of the attempt's last reported step. */
  finalMetrics: z.object({
    value: z.number().nullable(),
    values: z.unknown(),
    last: z.object({ step: z.number().int(), metrics: z.record(z.string(), z.unknown()) }).nullable(),
  }),
  /** The study spec's `run` section, `run.env` values masked. */
  run: z.record(z.string(), z.unknown()).nullable(),
  /**
   * The spec's `serve` section (defaults filled) for flavor `command`: the version is served by
   * this command whatever the study's spec says later. Absent on versions registered before it.
   */
  serve: z.object({ command: z.string(), health: z.string(), startup_timeout_s: z.number() }).nullable().optional(),
  agent: z.object({ id: z.string(), name: z.string() }).nullable(),
  registeredBy: z.object({
    userId: z.string(),
    email: z.string(),
    tokenId: z.string().nullable(),
    tokenName: z.string().nullable(),
  }),
  registeredAt: z.string(),
});
export type TLineage = z.infer<typeof ZLineage>;

export interface TRegistrant {
  userId: string;
  email: string;
  tokenId: string | null;
  tokenName: string | null;
}

export function lineageOf(src: TRegistrationSource & { attempt: number }, who: TRegistrant, at: Date): TLineage {
  const spec = maskSpecSecrets(src.study.spec);
  return {
    study: { id: src.study.id, name: src.study.name },
    trial: { id: src.trial.id, number: src.trial.number, state: src.trial.state },
    attempt: src.attempt,
    params: src.trial.params,
    objective: primaryObjective(spec),
    finalMetrics: { value: src.trial.value, values: src.trial.values, last: src.lastMetrics },
    run: (spec.run as Record<string, unknown> | undefined) ?? null,
    serve: spec.serve ?? null,
    agent: src.agent,
    registeredBy: who,
    registeredAt: at.toISOString(),
  };
}

/**
 * The version's metrics, flat, for listings and comparisons: the last reported step's metrics,
 * and the objective's metric set to the trial's told value when it has one (that value is
 * what the study ranked the trial by).
 */
export function metricsOf(src: TRegistrationSource): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(src.lastMetrics?.metrics ?? {})) if (typeof v === "number") out[k] = v;
  const objectives = objectivesOf(src.study.spec);
  const values = Array.isArray(src.trial.values) ? (src.trial.values as unknown[]) : null;
  objectives.forEach((o, i) => {
    const v = values?.[i] ?? (i === 0 ? src.trial.value : null);
    if (typeof v === "number") out[o.metric] = v;
  });
  return out;
}
