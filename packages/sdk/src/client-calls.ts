// The client's namespaces (projects, studies, trials, agents): thin wrappers over the tRPC
// procedures that check locally what the server would refuse less clearly.
import type { AppRouter } from "@autoglm/api";
import type { TStudySpecInput } from "@autoglm/protocol";
import type { TRPCClient } from "@trpc/client";
import { AutoglmError } from "./errors.js";
import type { AskedTrial, RouterInputs } from "./router-types.js";
import { isUuid } from "./server-url.js";
import { parseStudyYaml, validateStudySpec } from "./spec.js";
import { pickStudy, splitTrialRef } from "./study-ref.js";

/** Runs one call and turns every failure into an `AutoglmError`. */
export type TCall = <T>(fn: () => Promise<T>) => Promise<T>;

export type ProjectCalls = ReturnType<typeof createProjectCalls>;
export type StudyCalls = ReturnType<typeof createStudyCalls>;
export type TrialCalls = ReturnType<typeof createTrialCalls>;

export function createProjectCalls(trpc: TRPCClient<AppRouter>, call: TCall) {
  const projects = {
    list: () => call(() => trpc.project.list.query()),
    create: (input: RouterInputs["project"]["create"]) => call(() => trpc.project.create.mutate(input)),
    get: (projectId: string) => call(() => trpc.project.get.query({ projectId })),
    /** A project id or slug → the project's id (slugs are unique within the token's team). */
    async resolveId(idOrSlug: string): Promise<string> {
      const list = await projects.list();
      const hit = list.find((p) => p.id === idOrSlug || p.slug === idOrSlug);
      if (hit) return hit.id;
      // A well-formed id we cannot see is passed through: the server answers NOT_FOUND
      // exactly as it would for someone else's project.
      if (isUuid(idOrSlug)) return idOrSlug;
      const known = list.map((p) => p.slug).slice(0, 10);
      throw new AutoglmError(
        "PROJECT_NOT_FOUND",
        `no project "${idOrSlug}" in this team${known.length ? ` (projects: ${known.join(", ")})` : ""}`,
      );
    },
  };
  return projects;
}

export function createStudyCalls(trpc: TRPCClient<AppRouter>, call: TCall, projects: ProjectCalls) {
  return {
    /**
     * Creates a study from a spec object or YAML text, validated locally first (the error
     * names the field) and again by the server.
     */
    async create(input: {
      projectId?: string;
      projectSlug?: string;
      spec?: TStudySpecInput;
      yaml?: string;
    }): Promise<{ id: string }> {
      if ((input.spec === undefined) === (input.yaml === undefined)) {
        throw new AutoglmError("USAGE", "studies.create needs exactly one of spec or yaml");
      }
      if (!input.projectId && !input.projectSlug) {
        throw new AutoglmError("USAGE", "studies.create needs projectId or projectSlug");
      }
      if (input.yaml !== undefined) parseStudyYaml(input.yaml);
      else validateStudySpec(input.spec);
      const projectId = input.projectId ?? (await projects.resolveId(input.projectSlug!));
      const body =
        input.yaml !== undefined ? { projectId, yaml: input.yaml } : { projectId, spec: input.spec as TStudySpecInput };
      return call(() => trpc.study.create.mutate(body as RouterInputs["study"]["create"]));
    },
    /**
     * Config as code: creates the study from YAML (or a spec object), or, when the project has a
     * study of that name with the same space and objective, returns it to be resumed
     * (`created: false`; `notApplied` lists other differences, kept as stored). A changed space
     * is STUDY_SPACE_CHANGED with each difference in the message. `name` replaces the spec's.
     */
    async apply(input: {
      projectId: string;
      yaml?: string;
      spec?: TStudySpecInput;
      name?: string;
      ifExists?: "resume" | "error";
    }) {
      if ((input.spec === undefined) === (input.yaml === undefined)) {
        throw new AutoglmError("USAGE", "studies.apply needs exactly one of spec or yaml");
      }
      if (input.yaml !== undefined) parseStudyYaml(input.yaml);
      else validateStudySpec(input.spec);
      const body = {
        projectId: input.projectId,
        ...(input.yaml !== undefined ? { yaml: input.yaml } : { spec: input.spec as TStudySpecInput }),
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.ifExists !== undefined ? { ifExists: input.ifExists } : {}),
      };
      return call(() => trpc.study.applySpec.mutate(body as RouterInputs["study"]["applySpec"]));
    },
    list: (filter: RouterInputs["study"]["list"] = {}) => call(() => trpc.study.list.query(filter)),
    /**
     * A study id from what a person types: an id (returned as is, no request), the study's
     * name (the newest of that name), `project-slug/name`, or a unique prefix of its id.
     * `project` (id or slug) narrows the search to one project. STUDY_NOT_FOUND names the
     * team's studies; STUDY_AMBIGUOUS lists the matches.
     */
    async resolveId(ref: string, opts: { project?: string } = {}): Promise<string> {
      if (isUuid(ref)) return ref;
      const projectId = opts.project ? await projects.resolveId(opts.project) : undefined;
      const [rows, projectList] = await Promise.all([
        call(() => trpc.study.list.query(projectId ? { projectId } : {})),
        projects.list(),
      ]);
      const slugs = new Map(projectList.map((p) => [p.id, p.slug]));
      return pickStudy(ref, rows, (id) => slugs.get(id) ?? id);
    },
    get: (studyId: string) => call(() => trpc.study.get.query({ studyId })),
    best: (studyId: string) => call(() => trpc.study.best.query({ studyId })),
    /**
     * A noisy study's best: of the five trials with the best values, the one a GP with a fitted
     * noise term predicts best, its prediction and the noise sd (null below 10 complete trials
     * and for several objectives). `best` is the best value, on a noisy objective partly a lucky draw.
     */
    bestPredicted: (studyId: string) => call(() => trpc.study.bestPredicted.query({ studyId })),
    /**
     * What the `auto` sampler learned: its members' shares of the asks as the study went on
     * (`points`), and where and why it left its model phase for CMA-ES (`handover`: trial,
     * reason "rugged" / "stalled" / "limit", and for "rugged" the share of the variance the GP
     * could not follow); empty points and a null handover for other samplers.
     */
    portfolio: (studyId: string) => call(() => trpc.study.portfolio.query({ studyId })),
    /**
     * A multi-objective study's hypervolume as trials arrived (at most 300 points), against
     * `reference` (one value per objective) or the nadir of its trials + 10% of each range.
     */
    hypervolume: (studyId: string, reference?: number[]) =>
      call(() => trpc.study.hypervolume.query({ studyId, ...(reference ? { reference } : {}) })),
    history: (studyId: string) => call(() => trpc.study.history.query({ studyId })),
    stop: (studyId: string) => call(() => trpc.study.stop.mutate({ studyId })),
    delete: (studyId: string) => call(() => trpc.study.delete.mutate({ studyId })),
  };
}

export function createTrialCalls(trpc: TRPCClient<AppRouter>, call: TCall, studies: Pick<StudyCalls, "resolveId">) {
  const trials = {
    /**
     * A trial id from an id (returned as is, no request) or `STUDY#N`: trial number N of the
     * study that `STUDY` names (any reference `studies.resolveId` takes), as `agent list` and
     * the dashboard show trials.
     */
    async resolveId(ref: string): Promise<string> {
      if (isUuid(ref)) return ref;
      const parts = splitTrialRef(ref);
      if (!parts) {
        throw new AutoglmError("TRIAL_NOT_FOUND", `"${ref}" is not a trial id or STUDY#NUMBER (e.g. my-study#12)`);
      }
      const studyId = await studies.resolveId(parts.study);
      const page = await call(() => trpc.trial.list.query({ studyId, number: parts.number, limit: 1 }));
      const hit = page.items[0];
      if (!hit) throw new AutoglmError("TRIAL_NOT_FOUND", `study "${parts.study}" has no trial #${parts.number}`);
      return hit.id;
    },
    /** Leases a new trial of the study for this program to evaluate. */
    ask: (studyId: string) => call(() => trpc.trial.ask.mutate({ studyId })),
    /**
     * Queues a trial with exactly these params (checked against the study's space): the
     * study's next ask or agent lease gets it. It takes a trial number and counts against
     * `budget.max_trials`.
     */
    enqueue: (studyId: string, params: Record<string, string | number | boolean>) =>
      call(() => trpc.trial.enqueue.mutate({ studyId, params })),
    /**
     * Like `ask`, but while other workers hold all `budget.max_parallel` slots it waits
     * (1 s doubling to 15 s, `maxWaitMs` in all, default 10 min) instead of failing with
     * MAX_PARALLEL_REACHED. Other errors, "study ended" included, are thrown at once.
     */
    async askWhenFree(studyId: string, opts: { maxWaitMs?: number; signal?: AbortSignal } = {}): Promise<AskedTrial> {
      const deadline = Date.now() + (opts.maxWaitMs ?? 10 * 60_000);
      for (let delay = 1000; ; delay = Math.min(delay * 2, 15_000)) {
        try {
          return await trials.ask(studyId);
        } catch (err) {
          if (!(err instanceof AutoglmError) || err.code !== "MAX_PARALLEL_REACHED") throw err;
          if (opts.signal?.aborted || Date.now() + delay > deadline) throw err;
        }
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), opts.signal);
      }
    },
    /**
     * Reports an intermediate value; `{ prune: true }` means stop evaluating this trial, and
     * `reason` says why (the pruner's rule, in the metric's units).
     */
    report: async (trialId: string, step: number, value: number) => {
      // JSON has no NaN/Infinity (they would arrive as null): say so here, in words.
      assertFinite(value, "value");
      if (!Number.isSafeInteger(step) || step < 0) {
        throw new AutoglmError("BAD_REQUEST", `step must be a whole number ≥ 0 (got ${step})`);
      }
      return call(() => trpc.trial.report.mutate({ trialId, step, value }));
    },
    /** Extends an ask-trial's lease without a report (a long step); resolves to the new expiry. */
    renewLease: (trialId: string) => call(() => trpc.trial.renewLease.mutate({ trialId })),
    /**
     * Ends the trial as complete with its objective value, or one value per objective (spec
     * order) for a multi-objective study; `metrics` gives the values of the metrics the
     * study's constraints bound (`{ memory_gb: 12 }`).
     */
    tell: async (trialId: string, value: number | number[], opts: { metrics?: Record<string, number> } = {}) => {
      if (Array.isArray(value)) value.forEach((v, i) => assertFinite(v, `values[${i}]`));
      else assertFinite(value, "value");
      for (const [k, v] of Object.entries(opts.metrics ?? {})) assertFinite(v, `metrics.${k}`);
      const told = Array.isArray(value) ? { values: value } : { value };
      return call(() => trpc.trial.tell.mutate({ trialId, ...told, ...(opts.metrics ? { metrics: opts.metrics } : {}) }));
    },
    /** Ends the trial as failed (the sampler learns nothing from it). */
    fail: (trialId: string, reason?: string) =>
      call(() => trpc.trial.tell.mutate({ trialId, state: "failed", ...(reason ? { reason } : {}) })),
    /** Ends the trial as pruned, keeping its last reported value; `reason` is shown with it. */
    prune: (trialId: string, reason?: string) =>
      call(() => trpc.trial.tell.mutate({ trialId, state: "pruned", ...(reason ? { reason: reason.slice(0, 1000) } : {}) })),
    list: (input: RouterInputs["trial"]["list"]) => call(() => trpc.trial.list.query(input)),
    get: (trialId: string) => call(() => trpc.trial.get.query({ trialId })),
    /**
     * A user's stop: the trial ends failed (USER_STOPPED, "stopped by a user"). An agent's
     * process is told to stop (SIGTERM, then SIGKILL); an ask/tell program's next report or
     * tell gets TRIAL_NOT_RUNNING. Stopping an already-stopped trial is a no-op.
     */
    stop: (trialId: string) => call(() => trpc.trial.stop.mutate({ trialId })),
  };
  return trials;
}

export function createAgentCalls(trpc: TRPCClient<AppRouter>, call: TCall) {
  return {
    /** The team's agents: liveness, GPUs, labels, last heartbeat and the trials each runs. */
    list: () => call(() => trpc.agent.list.query()),
  };
}

function assertFinite(value: number, name: string): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new AutoglmError("BAD_REQUEST", `${name} must be a finite number (got ${String(value)})`);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
