// The client's `endpoints` namespace and `deploy`: inference endpoints served by the team's agents.
import type { AppRouter } from "@autoglm/api";
import type { TRPCClient } from "@trpc/client";
import type { TCall } from "./client-calls.js";
import { AutoglmError } from "./errors.js";
import type { EndpointDetail, RouterInputs } from "./router-types.js";

export type EndpointCalls = ReturnType<typeof createEndpointCalls>;
export type DeployInput = RouterInputs["endpoint"]["deploy"];

export interface DeployOptions {
  /** Resolve only once a replica of the deployed version is ready (default true). */
  wait?: boolean;
  /** How long to wait for a ready replica, in milliseconds (default 300 000). */
  timeoutMs?: number;
  /** How often to look, in milliseconds (default 1 000). */
  pollMs?: number;
  /** Called after every look while waiting (progress for a person). */
  onProgress?: (endpoint: EndpointDetail) => void;
}

/** The endpoint's URL made absolute against the server the client talks to (the API gives a path when PUBLIC_URL is unset). */
export function absoluteEndpointUrl(server: string, url: string): string {
  return /^https?:\/\//.test(url) ? url : `${server}${url}`;
}

/** A ready replica serving `version`, or the reason the newest replica of it failed. */
export function readiness(e: EndpointDetail, version: number): { ready: boolean; failure: string | null } {
  const mine = e.replicas.filter((r) => r.version === version);
  if (mine.some((r) => r.state === "ready")) return { ready: true, failure: null };
  const live = mine.some((r) => r.state === "pending" || r.state === "starting");
  const failed = mine.find((r) => r.state === "failed");
  return { ready: false, failure: !live && failed ? (failed.reason ?? "the replica failed") : null };
}

export function createEndpointCalls(trpc: TRPCClient<AppRouter>, call: TCall, server: string) {
  const withUrl = <T extends { url: string }>(e: T): T => ({ ...e, url: absoluteEndpointUrl(server, e.url) });
  const endpoints = {
    /** The team's endpoints with their model, alias, target version and replica counts. */
    list: async () => (await call(() => trpc.endpoint.list.query())).map(withUrl),
    /** One endpoint: replicas (state, agent, reason), version history and keys (prefixes only). */
    get: async (name: string) => withUrl(await call(() => trpc.endpoint.get.query({ name }))),
    create: async (input: RouterInputs["endpoint"]["create"]) => withUrl(await call(() => trpc.endpoint.create.mutate(input))),
    update: async (input: RouterInputs["endpoint"]["update"]) => withUrl(await call(() => trpc.endpoint.update.mutate(input))),
    /** Deletes the endpoint: its keys stop working at once and its replicas drain. */
    delete: (name: string) => call(() => trpc.endpoint.delete.mutate({ name })),
    /** A new key for the endpoint (`agl_…`, returned this once). */
    createKey: (name: string, opts: { keyName?: string; expiresInDays?: number } = {}) =>
      call(() => trpc.endpoint.keyCreate.mutate({ endpoint: name, ...opts })),
    /** Revokes one of the endpoint's keys by id; its next request answers 401. */
    revokeKey: (name: string, keyId: string) => call(() => trpc.endpoint.keyRevoke.mutate({ endpoint: name, keyId })),
    /**
     * Polls the endpoint until a replica of `version` is ready. Throws an `AutoglmError` naming
     * the replica's reason when every replica of it failed, or when `timeoutMs` passes.
     */
    async waitReady(name: string, version: number, opts: Omit<DeployOptions, "wait"> = {}): Promise<EndpointDetail> {
      const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
      for (;;) {
        const e = await endpoints.get(name);
        opts.onProgress?.(e);
        const r = readiness(e, version);
        if (r.ready) return e;
        if (r.failure)
          throw new AutoglmError("REPLICA_FAILED", `endpoint ${name}: version ${version} failed to start: ${r.failure}`);
        if (Date.now() >= deadline) {
          throw new AutoglmError(
            "TIMEOUT",
            `endpoint ${name}: no replica of version ${version} was ready within ${Math.round((opts.timeoutMs ?? 300_000) / 1000)} s (is an agent of the team online?)`,
          );
        }
        await new Promise((r) => setTimeout(r, opts.pollMs ?? 1_000));
      }
    },
  };

  /**
   * "Deploy best": registers the study's best trial (if it is not yet a version), points the
   * model's `production` alias at it, creates or updates the endpoint and, unless `wait: false`,
   * waits until a replica of that version is ready. `key` is new and shown this once (null when
   * an existing endpoint moved and no key was asked for).
   */
  async function deploy(input: DeployInput, opts: DeployOptions = {}) {
    const r = await call(() => trpc.endpoint.deploy.mutate(input));
    const url = absoluteEndpointUrl(server, r.url);
    const endpoint = opts.wait === false ? r.endpoint : await endpoints.waitReady(r.endpoint.name, r.version, opts);
    return { ...r, url, endpoint: withUrl(endpoint) };
  }
  return { endpoints, deploy };
}
