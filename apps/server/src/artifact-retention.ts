import type { ArtifactStore } from "@autoglm/artifacts";
import type { DbHandle } from "@autoglm/db/client";
import { sweepExpiredArtifactBatch, type TExpiredArtifact } from "@autoglm/db/queries";
import type { AppLogger } from "@autoglm/logging";
import { errorText } from "./server-logger.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ArtifactRetentionConfig {
  /** ARTIFACT_RETENTION_DAYS: files of attempts no model version references go after this; 0 keeps them forever. */
  days: number;
  /** Between sweeps: hourly. A day's worth of expiries is then gone within an hour of its due time. */
  intervalMs: number;
  /** The first sweep after start: a minute, so a restart does not add deletes to its own boot work. */
  startDelayMs: number;
  /**
   * Attempts per batch (one transaction each). 50 attempts are ~100-500 files: the rows stay
   * locked while their objects are deleted, a fraction of a second on a local disk.
   */
  batchAttempts: number;
  /** Batches per sweep: at most 50 × 50 = 2,500 attempts an hour, so one sweep never runs for long. */
  maxBatches: number;
}

export const DEFAULT_RETENTION: Omit<ArtifactRetentionConfig, "days"> = {
  intervalMs: 60 * 60 * 1000,
  startDelayMs: 60 * 1000,
  batchAttempts: 50,
  maxBatches: 50,
};

export interface RetentionSweepResult {
  /** false when another replica held the sweep's lock. */
  swept: boolean;
  attempts: number;
  files: number;
  bytes: number;
}

export interface ArtifactRetention {
  /** One sweep now (tests; the timer calls it too). Never two at once in this process. */
  sweepNow(): Promise<RetentionSweepResult>;
  stop(): Promise<void>;
}

/**
 * The attempt directories (`…/trials/<id>/attempts/<n>/`) of the rows, read from their keys:
 * a study moved to another project keeps its old keys, so the ids in the rows would not do.
 */
function attemptPrefixesOf(rows: TExpiredArtifact[]): string[] {
  const prefixes = new Set<string>();
  for (const r of rows) {
    const m = /^teams\/[^/]+\/projects\/[^/]+\/studies\/[^/]+\/trials\/[^/]+\/attempts\/\d+\//.exec(r.storeKey);
    if (!m) throw new Error(`an artifact row's store key is not under an attempt's directory (trial ${r.trialId})`);
    prefixes.add(m[0]);
  }
  return [...prefixes];
}

/**
 * ARTIFACT_RETENTION_DAYS: deletes the files of trial attempts that no model version references
 * once they are older than the setting, hourly and once shortly after start, in bounded
 * batches; only one replica sweeps at a time (sweepExpiredArtifactBatch's advisory lock).
 * `days` = 0 starts no timer at all.
 */
export function startArtifactRetention(deps: {
  db: DbHandle;
  store: ArtifactStore;
  config: ArtifactRetentionConfig;
  logger: AppLogger;
  onDeleted?: (files: number, bytes: number) => void;
}): ArtifactRetention {
  const { db, store, config, logger } = deps;
  let running: Promise<RetentionSweepResult> | undefined;
  let stopped = false;

  async function sweep(): Promise<RetentionSweepResult> {
    const total: RetentionSweepResult = { swept: true, attempts: 0, files: 0, bytes: 0 };
    if (config.days === 0) return total;
    const cutoff = new Date(Date.now() - config.days * DAY_MS);
    for (let batch = 0; batch < config.maxBatches && !stopped; batch++) {
      const result = await sweepExpiredArtifactBatch(db.db, {
        cutoff,
        limitAttempts: config.batchAttempts,
        deleteObjects: async (rows) => {
          for (const prefix of attemptPrefixesOf(rows)) await store.delete(prefix);
        },
      });
      if (result.status === "busy") return { ...total, swept: false };
      const bytes = result.rows.reduce((sum, r) => sum + r.sizeBytes, 0);
      total.attempts += result.attempts;
      total.files += result.rows.length;
      total.bytes += bytes;
      if (result.rows.length) deps.onDeleted?.(result.rows.length, bytes);
      if (result.attempts < config.batchAttempts) break;
    }
    if (total.files) {
      logger.info("artifact retention: deleted expired files", {
        attempts: total.attempts,
        files: total.files,
        bytesFreed: total.bytes,
        retentionDays: config.days,
      });
    }
    return total;
  }

  const sweepNow = (): Promise<RetentionSweepResult> =>
    (running ??= sweep().finally(() => {
      running = undefined;
    }));
  const tick = () => {
    sweepNow().catch((err: unknown) => logger.error("artifact retention sweep failed", { error: errorText(err) }));
  };
  const timers: NodeJS.Timeout[] = [];
  if (config.days > 0) {
    timers.push(setTimeout(tick, config.startDelayMs).unref(), setInterval(tick, config.intervalMs).unref());
  }
  return {
    sweepNow,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      // A sweep under way finishes its batch (its transaction) before the database closes.
      await running?.catch(() => {});
    },
  };
}
