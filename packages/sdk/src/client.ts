// Type-only: the SDK must never load server code at run time (STYLE §1). `import type`
// is erased by tsc; the lint refuses a value import (tooling/eslint/graph.js).
import type { AppRouter } from "@autoglm/api";
import type { TStudySpecInput } from "@autoglm/protocol";
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { AutoglmError, toAutoglmError } from "./errors.js";
import { parseStudyYaml, validateStudySpec } from "./spec.js";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type StudySummary = RouterOutputs["study"]["list"][number];
export type StudyDetail = RouterOutputs["study"]["get"];
export type StudyBest = RouterOutputs["study"]["best"];
export type AskedTrial = RouterOutputs["trial"]["ask"];
export type ProjectSummary = RouterOutputs["project"]["list"][number];
export type AgentSummary = RouterOutputs["agent"]["list"][number];
export type TrialState = "complete" | "failed" | "pruned";

export interface ClientOptions {
  /** The platform's base URL (`http://127.0.0.1:3000`); a trailing `/api/trpc` is accepted too. */
  server: string;
  /** An API token, `agl_…`. Sent as `Authorization: Bearer`, never logged. */
  token: string;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 30 000). */
  timeoutMs?: number;
}

const TRPC_PATH = "/api/trpc";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `http://host:3000/` and `http://host:3000/api/trpc` both become `http://host:3000`. */
export function normalizeServer(server: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(server.trim())) {
    throw new AutoglmError("CONFIG", `server "${server}" must start with http:// or https://`);
  }
  let url: URL;
  try {
    url = new URL(server.trim());
  } catch {
    throw new AutoglmError("CONFIG", `server "${server}" is not a URL; expected e.g. http://127.0.0.1:3000`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AutoglmError("CONFIG", `server "${server}" must start with http:// or https://`);
  }
  if (url.username || url.password) {
    throw new AutoglmError("CONFIG", "put the token in --token, not in the server URL");
  }
  let path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith(TRPC_PATH)) path = path.slice(0, -TRPC_PATH.length);
  return `${url.origin}${path}`;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Thrown inside an `optimize` objective to end the trial as pruned (Optuna's `TrialPruned`). */
export class TrialPruned extends Error {
  override readonly name = "TrialPruned";
  constructor(message = "pruned") {
    super(message);
  }
}

export interface OptimizeTrial {
  id: string;
  number: number;
  params: AskedTrial["params"];
  /**
   * Sends an intermediate value; resolves to `true` when the pruner says stop. Renews the
   * trial's lease, so a long objective should report at least every few minutes.
   */
  report(step: number, value: number): Promise<boolean>;
  /** Whether the last report asked to prune. */
  readonly shouldPrune: boolean;
  /** The pruner's reason when the last report asked to prune (in the metric's units). */
  readonly pruneReason: string | undefined;
}

export interface OptimizeOptions {
  /** How many trials this loop runs (it stops earlier when the study ends). */
  nTrials: number;
  /** Called after each intermediate report, e.g. for progress output. */
  onReport?: (event: { trialId: string; number: number; step: number; value: number; prune: boolean; reason?: string }) => void;
  /** Called after each trial ends. */
  onTrialEnd?: (result: OptimizeTrialResult) => void;
  /**
   * `true`: a throwing objective marks its trial failed and the loop goes on (Optuna's
   * `catch=(Exception,)`). `false` (default): the trial is marked failed, then the error
   * is rethrown.
   */
  catchErrors?: boolean;
  /** Stops the loop before the next ask. */
  signal?: AbortSignal;
  /**
   * How long to wait for a free slot when other workers hold `budget.max_parallel` trials
   * (default 10 min, the default ask-lease: by then a vanished worker's trial has expired).
   */
  maxWaitMs?: number;
}

export interface OptimizeTrialResult {
  trialId: string;
  number: number;
  params: AskedTrial["params"];
  state: TrialState;
  value: number | null;
  reason?: string;
}

export interface OptimizeResult {
  trials: OptimizeTrialResult[];
  best: StudyBest;
  /** Why the loop ended: it ran nTrials, the study stopped taking asks, or the signal fired. */
  endedBecause: "nTrials" | "studyEnded" | "aborted";
}

export type Objective = (trial: OptimizeTrial) => number | Promise<number>;

export type AutoglmClient = ReturnType<typeof createClient>;

/**
 * A typed client for an Open-AutoGLM server, authenticated with an API token.
 *
 * ```ts
 * const client = createClient({ server: "http://127.0.0.1:3000", token: process.env.AUTOGLM_TOKEN! });
 * const { id } = await client.studies.create({ projectSlug: "demo", yaml: readFileSync("study.yaml", "utf8") });
 * await client.optimize(id, async (trial) => train(trial.params), { nTrials: 20 });
 * ```
 */
export function createClient(options: ClientOptions) {
  const server = normalizeServer(options.server);
  const token = options.token.trim();
  if (!token) throw new AutoglmError("CONFIG", "the token is empty");
  const timeoutMs = options.timeoutMs ?? 30_000;
  const baseFetch = options.fetch ?? fetch;

  const trpc: TRPCClient<AppRouter> = createTRPCClient<AppRouter>({
    links: [
      // httpLink, not httpBatchLink: one request per call keeps the wire format the one
      // the README's curl examples show, and a CLI makes one call at a time anyway.
      httpLink({
        url: `${server}${TRPC_PATH}`,
        headers: () => ({ authorization: `Bearer ${token}` }),
        fetch: ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
          baseFetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) })) as typeof fetch,
      }),
    ],
  });

  /** Runs one call and turns every failure into an `AutoglmError`. */
  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toAutoglmError(err, server);
    }
  }

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

  const studies = {
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
    get: (studyId: string) => call(() => trpc.study.get.query({ studyId })),
    best: (studyId: string) => call(() => trpc.study.best.query({ studyId })),
    history: (studyId: string) => call(() => trpc.study.history.query({ studyId })),
    stop: (studyId: string) => call(() => trpc.study.stop.mutate({ studyId })),
    delete: (studyId: string) => call(() => trpc.study.delete.mutate({ studyId })),
  };

  const trials = {
    /** Leases a new trial of the study for this program to evaluate. */
    ask: (studyId: string) => call(() => trpc.trial.ask.mutate({ studyId })),
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
    /** Ends the trial as complete with its objective value. */
    tell: async (trialId: string, value: number) => {
      assertFinite(value, "value");
      return call(() => trpc.trial.tell.mutate({ trialId, value }));
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

  const agents = {
    /** The team's agents: liveness, GPUs, labels, last heartbeat and the trials each runs. */
    list: () => call(() => trpc.agent.list.query()),
  };

  /**
   * The ask → evaluate → report → tell loop. The objective gets the trial's params and a
   * `report` function; it returns the objective value, or throws `TrialPruned`.
   */
  async function optimize(studyId: string, objective: Objective, opts: OptimizeOptions): Promise<OptimizeResult> {
    if (!Number.isInteger(opts.nTrials) || opts.nTrials < 1) {
      throw new AutoglmError("USAGE", "optimize needs nTrials ≥ 1");
    }
    const results: OptimizeTrialResult[] = [];
    let endedBecause: OptimizeResult["endedBecause"] = "nTrials";
    for (let i = 0; i < opts.nTrials; i++) {
      if (opts.signal?.aborted) {
        endedBecause = "aborted";
        break;
      }
      let asked: AskedTrial;
      try {
        asked = await trials.askWhenFree(studyId, {
          ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        if (err instanceof AutoglmError && isStudyEnded(err)) {
          endedBecause = "studyEnded";
          break;
        }
        if (opts.signal?.aborted) {
          endedBecause = "aborted";
          break;
        }
        throw err;
      }
      let shouldPrune = false;
      let pruneReason: string | undefined;
      const trial: OptimizeTrial = {
        id: asked.trialId,
        number: asked.number,
        params: asked.params,
        get shouldPrune() {
          return shouldPrune;
        },
        get pruneReason() {
          return pruneReason;
        },
        async report(step, value) {
          const { prune, reason } = await trials.report(asked.trialId, step, value);
          shouldPrune = prune;
          pruneReason = reason;
          opts.onReport?.({
            trialId: asked.trialId,
            number: asked.number,
            step,
            value,
            prune,
            ...(reason === undefined ? {} : { reason }),
          });
          return prune;
        },
      };
      const base = { trialId: asked.trialId, number: asked.number, params: asked.params };
      let result: OptimizeTrialResult;
      try {
        const value = await objective(trial);
        if (typeof value !== "number" || !Number.isFinite(value)) {
          const reason = `objective returned ${String(value)}, not a finite number`;
          await trials.fail(asked.trialId, reason);
          result = { ...base, state: "failed", value: null, reason };
        } else {
          await trials.tell(asked.trialId, value);
          result = { ...base, state: "complete", value };
        }
      } catch (err) {
        if (err instanceof TrialPruned) {
          // The pruner's why when it asked; else the objective's own message, if it gave one.
          const reason = shouldPrune && pruneReason ? pruneReason : err.message !== "pruned" ? err.message : undefined;
          await trials.prune(asked.trialId, reason);
          result = { ...base, state: "pruned", value: null, ...(reason === undefined ? {} : { reason }) };
        } else if (err instanceof AutoglmError && (isStudyEnded(err) || err.code === "TRIAL_NOT_RUNNING")) {
          // The platform refused a report or tell because the trial is already over on its
          // side (the study was stopped, or the lease expired and the sweeper failed it):
          // telling it again would only fail. Record it and move on.
          result = { ...base, state: "failed", value: null, reason: err.message };
          if (isStudyEnded(err)) {
            results.push(result);
            opts.onTrialEnd?.(result);
            endedBecause = "studyEnded";
            break;
          }
        } else {
          const reason = `objective threw: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500);
          // Best effort: if the server cannot be reached now, the ask-lease expires and the
          // sweeper fails the trial (LEASE_EXPIRED) instead; the original error matters more.
          await trials.fail(asked.trialId, reason).catch(() => undefined);
          result = { ...base, state: "failed", value: null, reason };
          if (!opts.catchErrors) {
            opts.onTrialEnd?.(result);
            throw err;
          }
        }
      }
      results.push(result);
      opts.onTrialEnd?.(result);
    }
    return { trials: results, best: await studies.best(studyId), endedBecause };
  }

  return {
    server,
    /** The raw typed tRPC client, for procedures the wrappers do not cover. */
    trpc,
    me: () => call(() => trpc.auth.me.query()),
    projects,
    studies,
    trials,
    agents,
    optimize,
  };
}

/** The study hands out no more trials: stopped, completed, or `budget.max_trials` is spent. */
export function isStudyEnded(err: AutoglmError): boolean {
  return err.code === "STUDY_NOT_RUNNING" || err.code === "STUDY_BUDGET_EXHAUSTED";
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
