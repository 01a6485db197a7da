import { z } from "zod";
import { findStudyNames } from "@autoglm/db/queries";
import { listAgents as listAgentRows } from "@autoglm/scheduler";
import { DEFAULT_HEARTBEAT_MS } from "@autoglm/protocol";
import { orgProcedure } from "../../trpc.js";

export const ZListAgentsInput = z.object({}).strict().optional();

export const ZAgentGpu = z.object({
  index: z.number().int(),
  model: z.string(),
  memoryMb: z.number(),
  /** Percent busy as the agent last read it (nvidia-smi); null when it does not report it. */
  utilizationPct: z.number().nullable(),
});

export const ZAgentItem = z.object({
  id: z.string(),
  name: z.string(),
  host: z.string(),
  cpuCores: z.number().int(),
  memoryMb: z.number(),
  gpus: z.array(ZAgentGpu),
  labels: z.record(z.string(), z.string()),
  maxTrials: z.number().int(),
  isOnline: z.boolean(),
  lastHeartbeatAt: z.string().nullable(),
  /** GPUs its running trials asked for (`run.resources.gpus`) and its serving replicas hold, out of gpus.length. */
  gpusInUse: z.number().int(),
  running: z.array(
    z.object({
      trialId: z.string(),
      studyId: z.string(),
      studyName: z.string(),
      number: z.number().int(),
      attempt: z.number().int(),
      startedAt: z.string().nullable(),
    }),
  ),
  /** Its live replicas of the team's endpoints (starting, ready or draining) and the GPU indices each holds. */
  replicas: z.array(
    z.object({
      replicaId: z.string(),
      endpoint: z.string(),
      version: z.number().int(),
      state: z.enum(["starting", "ready", "draining"]),
      gpus: z.array(z.number().int()),
    }),
  ),
});
export const ZListAgentsOutput = z.array(ZAgentItem);

/**
 * An agent counts as online while connected and heard from within this window: six missed
 * heartbeats at the default 5 s period (the scheduler's own default for the Agents page).
 * A crashed agent's row may still say `is_online`; its silence is what marks it offline.
 */
const STALE_AFTER_MS = 6 * DEFAULT_HEARTBEAT_MS;

function gpuOut(g: unknown): z.infer<typeof ZAgentGpu> {
  const r = (g ?? {}) as Record<string, unknown>;
  const n = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    index: n(r.index) ?? 0,
    model: typeof r.model === "string" ? r.model : "unknown GPU",
    memoryMb: n(r.memoryMb) ?? 0,
    utilizationPct: n(r.utilizationPct) ?? n(r.utilization),
  };
}

export const listAgents = orgProcedure("viewer")
  .input(ZListAgentsInput)
  .output(ZListAgentsOutput)
  .query(async ({ ctx }) => {
    const rows = await listAgentRows(ctx.db, { orgId: ctx.scope.orgId, staleAfterMs: STALE_AFTER_MS });
    // Agents belong to the team; their trials to projects. A project-restricted token sees
    // the team's agents but only its own project's trials on them (others are left out).
    const studies = await findStudyNames(
      ctx.db.db,
      ctx.scope,
      rows.flatMap((a) => a.running.map((t) => t.studyId)),
    );
    return rows.map((a) => ({
      id: a.id,
      name: a.name,
      host: a.host,
      cpuCores: a.cpuCores,
      memoryMb: a.memoryMb,
      gpus: (Array.isArray(a.gpus) ? a.gpus : []).map(gpuOut),
      labels: Object.fromEntries(Object.entries(a.labels ?? {}).map(([k, v]) => [k, String(v)])),
      maxTrials: a.maxTrials,
      isOnline: a.isOnline,
      lastHeartbeatAt: a.lastHeartbeatAt,
      gpusInUse: a.gpusInUse,
      running: a.running.flatMap((t) => {
        const s = studies.get(t.studyId);
        return s ? [{ ...t, studyName: s.name }] : [];
      }),
      // Like its trials: a project-restricted token sees only its project's endpoints' replicas.
      replicas: a.replicas.flatMap(({ replicaId, endpoint, version, state, gpus, projectId }) =>
        !ctx.scope.projectId || projectId === ctx.scope.projectId ? [{ replicaId, endpoint, version, state, gpus }] : [],
      ),
    }));
  });
