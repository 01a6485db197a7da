// Type-only: the SDK must never load server code at run time (STYLE §1). `import type`
// is erased by tsc; the lint refuses a value import (tooling/eslint/graph.js).
import type { AppRouter } from "@autoglm/api";
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import { createAgentCalls, createProjectCalls, createStudyCalls, createTrialCalls } from "./client-calls.js";
import { AutoglmError, toAutoglmError } from "./errors.js";
import { createEndpointCalls } from "./endpoint-calls.js";
import { createModelCalls } from "./model-calls.js";
import { runOptimize, type Objective, type OptimizeOptions, type OptimizeResult } from "./optimize.js";
import { normalizeServer, TRPC_PATH } from "./server-url.js";
import { exportStudy, type TExportFormat, type TExportOptions } from "./study-export.js";

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

  const projects = createProjectCalls(trpc, call);
  const transport = { server, token, fetch: baseFetch };
  const studies = {
    ...createStudyCalls(trpc, call, projects),
    /** Streams every trial of the study as CSV or JSON into a file (`<path>.part`, then renamed) or a writable stream. */
    export: (studyId: string, format: TExportFormat, target: Parameters<typeof exportStudy>[3], opts: TExportOptions = {}) =>
      exportStudy(transport, studyId, format, target, opts),
  };
  const trials = createTrialCalls(trpc, call, studies);
  const serving = createEndpointCalls(trpc, call, server);
  return {
    server,
    /** The raw typed tRPC client, for procedures the wrappers do not cover. */
    trpc,
    me: () => call(() => trpc.auth.me.query()),
    projects,
    studies,
    trials,
    agents: createAgentCalls(trpc, call),
    /** The model registry: list, get, register, aliases, resolve `models:/…` references, verified downloads. */
    models: createModelCalls(trpc, call, transport),
    /** Inference endpoints: list, get, create, update, delete, keys, and waiting for a ready replica. */
    endpoints: serving.endpoints,
    /** "Deploy best" of a study: register, move `production`, create or update the endpoint, wait for a ready replica. */
    deploy: serving.deploy,
    /**
     * The ask → evaluate → report → tell loop. The objective gets the trial's params and a
     * `report` function; it returns the objective value, or throws `TrialPruned`.
     */
    optimize: (studyId: string, objective: Objective, opts: OptimizeOptions): Promise<OptimizeResult> =>
      runOptimize({ trials, studies }, studyId, objective, opts),
  };
}
