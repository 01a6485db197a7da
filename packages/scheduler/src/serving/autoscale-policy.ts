import type { TScaleState } from "@autoglm/db/queries";

/** What the autoscaler knows of one endpoint at one moment. */
export interface TScaleInput {
  minReplicas: number;
  maxReplicas: number;
  targetConcurrency: number;
  scaleDownDelayMs: number;
  state: TScaleState;
  /** Summed over the servers' fresh reports; zeros when none reported. */
  load: { concurrency: number; rps: number };
  nowMs: number;
}

export interface TScaleDecision {
  next: TScaleState;
  /** The replica count to run now. */
  desired: number;
  /** A sentence for the endpoint page when the count changed (null: unchanged). */
  event: string | null;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
const fmt = (n: number) => n.toFixed(1);

/** Replicas the load asks for: ceil(concurrency / target), and at least one while requests arrive (min 0). */
export function replicasForLoad(input: Pick<TScaleInput, "minReplicas" | "maxReplicas" | "targetConcurrency" | "load">): number {
  // 1e-9: 8.000000001 / 4 from summed floats is still 2 replicas.
  let want = Math.ceil(input.load.concurrency / input.targetConcurrency - 1e-9);
  if (input.load.rps > 0 || input.load.concurrency > 0) want = Math.max(want, 1);
  return clamp(want, input.minReplicas, input.maxReplicas);
}

/**
 * Pure: Knative's KPA without its panic mode. Up at once to what the load asks for (a burst is
 * served as soon as replicas start); down only once the load has asked for fewer replicas for
 * the whole `scaleDownDelayMs` (its stable window), and then to the most it asked for within
 * that window, so a dip in a steady load drains nothing. Always within [min, max], also right
 * after min or max changed.
 */
export function decideScale(input: TScaleInput): TScaleDecision {
  const { minReplicas: min, maxReplicas: max, state, load, nowMs } = input;
  const current = clamp(state.desiredReplicas ?? min, min, max);
  const want = replicasForLoad(input);
  const over = `concurrency ${fmt(load.concurrency)} over target ${input.targetConcurrency}`;
  if (want >= current) {
    const next = { desiredReplicas: want, lowSinceMs: null, lowPeak: null };
    if (want > current) return { next, desired: want, event: `scaled to ${want}: ${over}` };
    const clamped = state.desiredReplicas !== null && state.desiredReplicas !== current;
    return { next, desired: want, event: clamped ? `set to ${want} by min/max replicas` : null };
  }
  const lowSinceMs = state.lowSinceMs ?? nowMs;
  const lowPeak = Math.max(state.lowPeak ?? want, want);
  if (nowMs - lowSinceMs >= input.scaleDownDelayMs) {
    const seconds = Math.round(input.scaleDownDelayMs / 1000);
    return {
      next: { desiredReplicas: lowPeak, lowSinceMs: null, lowPeak: null },
      desired: lowPeak,
      event: `scaled down to ${lowPeak}: concurrency ${fmt(load.concurrency)} (target ${input.targetConcurrency} per replica) stayed low for ${seconds} s`,
    };
  }
  return { next: { desiredReplicas: current, lowSinceMs, lowPeak }, desired: current, event: null };
}

export function sameScaleState(a: TScaleState, b: TScaleState): boolean {
  return a.desiredReplicas === b.desiredReplicas && a.lowSinceMs === b.lowSinceMs && a.lowPeak === b.lowPeak;
}
