import {
  findModelVersion,
  listPendingAutoRegistrations,
  lockModel,
  withTransaction,
  type TPendingAutoRegistration,
} from "@autoglm/db/queries";
import { silentLogger, type Logger } from "@autoglm/protocol";
import { AppError } from "../errors.js";
import { moveAliasInTx } from "./alias-moves.js";
import { registerTrialModel, type TRegisterDeps } from "./register.js";

/** Studies handled per pass: a bounded amount of hashing per pass whatever the backlog. */
const PER_PASS = 10;
/** A registration that failed for a reason the trial will not outgrow (no files, tampered) is retried this much later. */
const RETRY_AFTER_MS = 10 * 60_000;

export interface TAutoRegistered {
  studyId: string;
  orgId: string;
  model: string;
  alias: string;
  version: number;
  /** True when a new version was made; false when the alias moved to an existing one. */
  created: boolean;
}

/**
 * The spec's `register: {model, alias}`: each time a trial becomes the study's best, its files
 * become a new version of the model and the alias moves to it. Work is read from the tables
 * (listPendingAutoRegistrations), so nothing is lost when the server restarts between a trial's
 * completion and its registration; two server replicas cannot make two versions of one trial
 * (`ifAbsent`, decided under the model's row lock).
 */
export class ModelAutoRegister {
  private readonly failedAt = new Map<string, number>();
  private readonly logger: Logger;

  private readonly onQueued: (() => void) | undefined;

  constructor(
    private readonly deps: TRegisterDeps,
    /** `onQueued`: a version or alias move queued webhook events (the sender is woken). */
    opts: { logger?: Logger; onQueued?: () => void } = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
    this.onQueued = opts.onQueued;
  }

  async pass(now = Date.now()): Promise<TAutoRegistered[]> {
    const out: TAutoRegistered[] = [];
    for (const p of await listPendingAutoRegistrations(this.deps.db, { limit: PER_PASS * 2 })) {
      if (out.length >= PER_PASS) break;
      const key = `${p.studyId}:${p.trialId}`;
      const failed = this.failedAt.get(key);
      if (failed !== undefined && now - failed < RETRY_AFTER_MS) continue;
      try {
        const done = await this.registerOne(p);
        if (done) {
          out.push(done);
          this.onQueued?.();
        }
        this.failedAt.delete(key);
      } catch (err) {
        this.failedAt.set(key, now);
        const message = err instanceof AppError ? err.userMessage : String(err);
        this.logger.warn("automatic model registration failed", {
          studyId: p.studyId,
          trialId: p.trialId,
          model: p.model,
          error: message,
        });
      }
    }
    return out;
  }

  private async registerOne(p: TPendingAutoRegistration): Promise<TAutoRegistered | null> {
    if (!p.userId || !p.email) {
      this.logger.warn("automatic model registration skipped: the study's creator no longer exists", { studyId: p.studyId });
      return null;
    }
    const caller = { scope: { orgId: p.orgId }, actor: { userId: p.userId, tokenId: null }, email: p.email };
    const base = { studyId: p.studyId, orgId: p.orgId, model: p.model, alias: p.alias };
    if (p.existingVersion === null) {
      const { version } = await registerTrialModel(this.deps, caller, {
        trialId: p.trialId,
        name: p.model,
        alias: p.alias,
        description: "Registered by the study's `register` section: its best trial so far.",
        ifAbsent: true,
      });
      this.logger.info("model registered from the study's best trial", { ...base, version: version.version });
      return { ...base, version: version.version, created: true };
    }
    const version = p.existingVersion;
    await withTransaction(this.deps.db.db, async (tx) => {
      const model = await lockModel(tx, caller.scope, p.model);
      const target = model ? await findModelVersion(tx, caller.scope, { modelId: model.id, version }) : null;
      if (!model || !target || target.deletedAt) return;
      await moveAliasInTx(tx, caller, { model, alias: p.alias, versionId: target.id, version, digest: target.digest });
    });
    return { ...base, version, created: false };
  }
}
