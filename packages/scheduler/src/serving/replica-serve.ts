import { z } from "zod";
import type { TReplicaStart } from "@autoglm/protocol";

/** The `serve` section as the registry records it in a version's lineage (the study spec's, defaults filled). */
const ZRecordedServe = z.object({
  command: z.string().min(1).max(10_000),
  health: z.string().min(1).max(500),
  startup_timeout_s: z.number().positive().max(3600),
});

/**
 * What `replica:start` carries of a version's own server: for flavor `command`, the serve
 * section its lineage recorded; a `command` version without a usable one cannot be served
 * (refused with the reason, never started with a guess).
 */
export function replicaServeOf(
  flavor: TReplicaStart["model"]["flavor"],
  recorded: unknown,
): { serve: TReplicaStart["model"]["serve"] } | { refused: string } {
  if (flavor !== "command") return { serve: undefined };
  const parsed = ZRecordedServe.safeParse(recorded);
  if (!parsed.success)
    return { refused: "UNSERVABLE_FLAVOR: this version has flavor command but its lineage records no usable serve command" };
  const { command, health, startup_timeout_s } = parsed.data;
  return { serve: { command, health, startupTimeoutS: startup_timeout_s } };
}
