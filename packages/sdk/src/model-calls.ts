// The client's `models` namespace: the registry's procedures, and a verified download.
import type { AppRouter } from "@autoglm/api";
import type { TRPCClient } from "@trpc/client";
import type { TCall } from "./client-calls.js";
import {
  downloadModelVersion,
  type TDownloadableVersion,
  type TDownloadOptions,
  type TDownloadTransport,
} from "./model-download.js";

export type ModelCalls = ReturnType<typeof createModelCalls>;

export function createModelCalls(trpc: TRPCClient<AppRouter>, call: TCall, transport: TDownloadTransport) {
  const models = {
    /** The team's models with their latest version, aliases and best metric (`projectId` narrows to one project). */
    list: (projectId?: string) => call(() => trpc.model.list.query(projectId ? { projectId } : undefined)),
    /** A model with every version (oldest first) and its aliases; `name` may be any reference to it. */
    get: (name: string) => call(() => trpc.model.get.query({ name })),
    /** Registers a trial's uploaded files as the model's next version (the model is created on first use). */
    register: (input: { trialId: string; name: string; alias?: string; description?: string; attempt?: number }) =>
      call(() => trpc.model.register.mutate(input)),
    /** Points `alias` at `version` (audited); resolves to `{model, alias, version, previousVersion}`. */
    setAlias: (name: string, alias: string, version: number) => call(() => trpc.model.setAlias.mutate({ name, alias, version })),
    removeAlias: (name: string, alias: string) => call(() => trpc.model.removeAlias.mutate({ name, alias })),
    /** `models:/name@alias`, `models:/name/3`, `name@alias`, `name/3` or `name` (its latest) → that version. */
    resolve: (ref: string) => call(() => trpc.model.resolve.query({ ref })),
    /** Two versions' params and metrics side by side. */
    compare: (a: string, b: string) => call(() => trpc.model.compare.query({ a, b })),
    /** Soft-deletes a version (refused while an alias points at it). */
    deleteVersion: (name: string, version: number) => call(() => trpc.model.deleteVersion.mutate({ name, version })),
    /**
     * Resolves `ref` and downloads every file of that version into `dir`, checking each SHA-256
     * and the manifest digest; on any failure it throws an `AutoglmError` naming the file and
     * leaves no file under its final name.
     */
    async download(ref: string, dir: string, opts: TDownloadOptions = {}) {
      return models.downloadVersion(await models.resolve(ref), dir, opts);
    },
    /** `download` for a version already resolved (`resolve` or `get` gave it). */
    downloadVersion: (version: TDownloadableVersion, dir: string, opts: TDownloadOptions = {}) =>
      downloadModelVersion(transport, version, dir, opts),
  };
  return models;
}
