import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Piscina } from "piscina";
import { capMessage, type TStudySpec } from "@autoglm/protocol";
import { AppError } from "./errors.js";
import type { TReadSpecOutcome } from "./spec-yaml-worker.js";

/**
 * A YAML spec is read and validated on a worker thread: yaml composes about 5 µs a node, so
 * a 9,000-value spec took 40-55 ms warm and 0.4-1 s on a process's first YAML spec, time
 * every other tenant's request waited on the event loop (S12). The worker bounds it too:
 * past this budget it is terminated and the spec refused.
 */
export const SPEC_YAML_TIMEOUT_MS = 10_000;

let pool: Piscina | null = null;

/** The worker's file: beside this module in dist; from the sources (vitest runs src/*.ts) the built one. */
export function specYamlWorkerPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const sibling = path.join(here, "spec-yaml-worker.js");
  return existsSync(sibling) ? sibling : path.resolve(here, "../dist/spec-yaml-worker.js");
}

function specYamlPool(): Piscina {
  if (pool) return pool;
  const file = specYamlWorkerPath();
  if (!existsSync(file)) throw new Error(`The spec worker ${file} is missing: run \`pnpm --filter @autoglm/api build\`.`);
  // One thread: specs arrive one at a time in practice, and a second core stays free for the
  // event loop on a 2-core machine. Idle workers exit and never hold the process open.
  pool = new Piscina({ filename: pathToFileURL(file).href, minThreads: 0, maxThreads: 1, idleTimeout: 60_000 });
  return pool;
}

/** YAML text → validated spec, read off the event loop; INVALID_SPEC names the field or the YAML position. */
export async function specFromYaml(text: string, timeoutMs = SPEC_YAML_TIMEOUT_MS): Promise<TStudySpec> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let outcome: TReadSpecOutcome;
  try {
    outcome = (await specYamlPool().run(text, { signal: abort.signal })) as TReadSpecOutcome;
  } catch (err) {
    // Piscina terminates the worker running an aborted task (or drops it from the queue).
    if (abort.signal.aborted) {
      throw new AppError("INVALID_SPEC", {
        userMessage: `yaml: reading the spec took longer than ${timeoutMs / 1000} s and was stopped; nothing was stored.`,
      });
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
  if (!outcome.ok) throw new AppError("INVALID_SPEC", { userMessage: capMessage(outcome.message) });
  return outcome.spec;
}

/** Ends the spec worker (servers call it on shutdown; idle workers never hold the process open). */
export async function closeSpecYamlPool(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.destroy();
}
