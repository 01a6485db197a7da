import { setPriority } from "node:os";
import { workerData } from "node:worker_threads";
import { runOptimizerTask, type TOptimizerTask, type TTaskOutcome } from "./optimizer-task.js";
import { loadSamplerPlugins } from "./sampler-plugins.js";

/** The deployment's sampler plugins, as the pool's process loaded them (OptimizerPool passes their paths). */
const plugins = loadSamplerPlugins((workerData as { samplerPlugins?: string[] } | null)?.samplerPlugins ?? []);

// The server's event loop comes first: on Linux a thread's nice value is its own, so this
// lowers only the worker's priority (elsewhere it would lower the whole process's). In S12
// (apps/server tests) on the shared 2-core box, load ~6-8: another tenant's auth.me p50 6-7 ms,
// p99 40-45 ms with it, 14 ms and 58-84 ms without; the optimizer's own work took ~30% longer.
if (process.platform === "linux") {
  try {
    setPriority(10);
  } catch {
    // Not permitted (a restricted container): the worker runs at the process's priority.
  }
}

/**
 * A pool worker's entry (optimizer-pool.ts): one optimizer call per task. No study state is
 * kept between tasks; the optimizer's own cache of model fits is.
 */
export default async function optimizerWorker(task: TOptimizerTask): Promise<TTaskOutcome<unknown>> {
  try {
    await plugins;
  } catch (err) {
    return { ok: false, error: { message: (err as Error).message } };
  }
  return runOptimizerTask(task);
}
