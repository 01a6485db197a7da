import { z } from "zod";

/**
 * The study spec's `serve` section: the team's own server for the models its command trains
 * (flavor `command`, like an MLflow pyfunc container). The agent starts `command` in the model
 * version's file directory with `{port}` replaced and `$PORT` set, waits until `health` answers
 * 200, and proxies every request to it. The registry records the section, defaults filled in,
 * in each version's lineage, so a version is served the way it was registered.
 */

/** MLflow's scoring server answers its liveness on /ping. */
export const DEFAULT_SERVE_HEALTH = "/ping";
/** Loading a large model (a few GB from local disk) and importing a framework fits in 2 minutes. */
export const DEFAULT_SERVE_STARTUP_TIMEOUT_S = 120;
/** Past an hour a server that has not come up is not going to. */
export const MAX_SERVE_STARTUP_TIMEOUT_S = 3600;

export const ZServeSection = z
  .object({
    /** A shell command; `{port}` (optional) becomes the port, which `$PORT` also holds. */
    command: z
      .string()
      .max(10_000)
      .refine(
        (c) => c.trim() !== "",
        "is required: the command that starts the team's server, e.g. python3 serve.py --port {port}",
      ),
    /** The path that answers 200 once the server can take requests. */
    health: z
      .string()
      .max(500)
      .regex(/^\/[^\s#]*$/, "must be a path on the team's server starting with /, e.g. /ping")
      .default(DEFAULT_SERVE_HEALTH),
    startup_timeout_s: z.number().positive().max(MAX_SERVE_STARTUP_TIMEOUT_S).default(DEFAULT_SERVE_STARTUP_TIMEOUT_S),
  })
  .strict();
export type TServeSection = z.output<typeof ZServeSection>;

/** The spec's `serve` against its `run`: only a study that runs its own command serves with its own server. */
export function checkServeSection(
  spec: { serve?: unknown; run?: { command?: string | undefined } | undefined },
  ctx: z.RefinementCtx,
): void {
  if (spec.serve === undefined || spec.run?.command !== undefined) return;
  ctx.addIssue({
    code: "custom",
    path: ["serve"],
    message: spec.run
      ? "needs run.command: a builtin trainer's models are served by the platform's own runtime"
      : "needs a run section with run.command: the serve command starts the server for the models that command trains",
  });
}
