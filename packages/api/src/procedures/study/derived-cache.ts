import { createHash } from "node:crypto";
import type { THistoryTrial } from "@autoglm/optimizer";

/**
 * What a model fitted on a study's trials reads of them: each trial's number, state, value,
 * constraints and proposer, and a pruned trial's last reported step (the GP places it there).
 * Not the curves of running trials, which move with every report while the fit stays the same.
 */
export function finishedTrialsKey(trials: readonly THistoryTrial[], extra: unknown): string {
  const h = createHash("sha256").update(JSON.stringify(extra));
  for (const t of trials) {
    const last = t.state === "pruned" ? (t.intermediate?.at(-1) ?? null) : null;
    h.update(JSON.stringify([t.id, t.state, t.value ?? null, t.constraints ?? null, t.proposedBy ?? null, last]));
  }
  return h.digest("base64url");
}

/**
 * Per study and kind, the last answer derived from its trials, reused while finishedTrialsKey
 * is unchanged: a study page refetches its cards whenever a trial reports, and a GP fit on a
 * few hundred trials costs the optimizer pool 0.1-0.3 s each time. Bounded, least recently
 * used first.
 */
export class DerivedCache {
  private readonly entries = new Map<string, { key: string; value: unknown }>();

  constructor(private readonly maxEntries = 512) {}

  async get<T>(kind: string, studyId: string, key: string, compute: () => Promise<T>): Promise<T> {
    const slot = `${kind}:${studyId}`;
    const hit = this.entries.get(slot);
    if (hit && hit.key === key) {
      this.entries.delete(slot);
      this.entries.set(slot, hit);
      return hit.value as T;
    }
    const value = await compute();
    this.entries.delete(slot);
    this.entries.set(slot, { key, value });
    for (const [k] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(k);
    }
    return value;
  }

  size(): number {
    return this.entries.size;
  }
}

/** One per process: the study cards' model answers. */
export const derivedCache = new DerivedCache();
