import { z } from "zod";
import { ZMetricValues, ZSourceRef } from "../metric-line.js";
import { ZBuiltinRun } from "../study-spec.js";
import { PROTOCOL_VERSION, TRIAL_END_CODES, type TTrialEndCode } from "./constants.js";
import { noNul, replaceNul } from "../text.js";

/**
 * One zod schema per Socket.IO event of the `/agents` namespace (STYLE 9). Every payload
 * carries `v: 1`; every object is strict, so an unknown key is an error rather than silently
 * dropped state. Handlers validate, write, then ack; Postgres holds the truth.
 */

const ZV = z.literal(PROTOCOL_VERSION);
const ZUuid = z.string().uuid();
// Strings an agent sends that are stored refuse NUL (PostgreSQL cannot hold it); printed text is cleaned instead.
const ZLabels = z
  .record(noNul(z.string().min(1).max(100)), noNul(z.string().max(200)))
  .refine((l) => Object.keys(l).length <= 50, {
    message: "at most 50 labels",
  });
const ZEndCode = z.enum(Object.keys(TRIAL_END_CODES) as [TTrialEndCode, ...TTrialEndCode[]]);

export const ZGpu = z
  .object({
    index: z.number().int().min(0).max(1023),
    model: noNul(z.string().max(200)),
    memoryMb: z.number().int().min(0).max(10_000_000),
  })
  .strict();
export type TGpu = z.infer<typeof ZGpu>;

/** What nvidia-smi says a GPU is doing right now (sent with heartbeats, shown on the Agents page). */
export const ZGpuUse = z
  .object({
    index: z.number().int().min(0).max(1023),
    utilizationPct: z.number().min(0).max(100),
    memoryUsedMb: z.number().int().min(0).max(10_000_000),
  })
  .strict();
export type TGpuUse = z.infer<typeof ZGpuUse>;

/** Names one attempt of one trial and proves the sender holds its lease (STYLE 8). */
export const ZLeaseRef = z
  .object({
    trialId: ZUuid,
    attempt: z.number().int().min(1).max(1000),
    leaseToken: ZUuid,
  })
  .strict();
export type TLeaseRef = z.infer<typeof ZLeaseRef>;

// ---------------------------------------------------------------- agent → server

export const ZAgentRegister = z
  .object({
    v: ZV,
    name: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.:@-]+$/, "letters, digits and _ . : @ - only"),
    host: noNul(z.string().min(1).max(255)),
    cpuCores: z.number().int().min(0).max(100_000),
    memoryMb: z.number().int().min(0).max(1_000_000_000),
    gpus: z.array(ZGpu).max(64),
    labels: ZLabels,
    /** How many trials the agent runs at once (default: its GPU count, at least 1). */
    maxTrials: z.number().int().min(1).max(1000),
    agentVersion: noNul(z.string().max(50)).optional(),
    /** Trials this process is still running, so a reconnect re-adopts them (R4) instead of restarting. */
    running: z.array(ZLeaseRef).max(1000),
    /** Serving replicas this process still runs, re-adopted on reconnect like trials. */
    replicas: z
      .array(z.object({ replicaId: ZUuid, leaseToken: ZUuid }).strict())
      .max(1000)
      .optional(),
  })
  .strict();
export type TAgentRegister = z.infer<typeof ZAgentRegister>;

export const ZAgentHeartbeat = z
  .object({
    v: ZV,
    seq: z.number().int().min(0),
    running: z.array(ZLeaseRef).max(1000),
    gpuUse: z.array(ZGpuUse).max(64).optional(),
    /** Serving replicas this process runs; their leases are renewed like trials'. */
    replicas: z
      .array(z.object({ replicaId: ZUuid, leaseToken: ZUuid }).strict())
      .max(1000)
      .optional(),
  })
  .strict();
export type TAgentHeartbeat = z.infer<typeof ZAgentHeartbeat>;

/** A doorbell: the agent has free capacity; the server tries to lease to it now. */
export const ZAgentReady = z.object({ v: ZV, freeSlots: z.number().int().min(0).max(1000) }).strict();
export type TAgentReady = z.infer<typeof ZAgentReady>;

export const ZMetricPoint = z
  .object({
    step: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    metrics: ZMetricValues,
  })
  .strict();
export type TMetricPoint = z.infer<typeof ZMetricPoint>;

/**
 * A batch of intermediate values. `(trialId, attempt, seq)` keys the batch: a replay is
 * acknowledged again and stores nothing twice (R7; `(trial, step)` is the primary key).
 */
export const ZTrialMetric = ZLeaseRef.extend({
  v: ZV,
  seq: z.number().int().min(0),
  points: z.array(ZMetricPoint).min(1).max(1000),
}).strict();
export type TTrialMetric = z.infer<typeof ZTrialMetric>;

export const ZTrialOutcome = z.enum(["complete", "failed", "pruned", "stopped", "handback", "rejected"]);
export type TTrialOutcome = z.infer<typeof ZTrialOutcome>;

export const ZTrialComplete = ZLeaseRef.extend({
  v: ZV,
  seq: z.number().int().min(0),
  /**
   * complete: exit 0. failed: the command's fault (`code` says how). pruned / stopped: the
   * agent stopped it on request. handback: the agent is shutting down (R10; no attempt is
   * spent). rejected: the agent could not start it (no free GPU), also no attempt spent.
   */
  outcome: ZTrialOutcome,
  code: ZEndCode.optional(),
  reason: z.string().max(2000).transform(replaceNul).optional(),
  /** Values of an explicit `{"autoglm":1,"final":{...}}` line. */
  final: ZMetricValues.optional(),
  /** The last reported value of each metric (the objective's final value when there is no final line). */
  lastMetrics: ZMetricValues.optional(),
  lastStep: z.number().int().min(0).optional(),
  exitCode: z.number().int().nullable(),
  signal: noNul(z.string().max(20)).nullable(),
  /** The end of the trial's log (bounded by the agent, secrets redacted). */
  logTail: z.string().max(65_536).transform(replaceNul).optional(),
  /**
   * The last `{"autoglm":1,"source":{...}}` line the command printed. It rides on the completion
   * rather than on its own event or on metric batches: the completion is already sent once per
   * attempt, fenced by the lease token, acked and replayed from the outbox, and it is sent by a
   * command that printed no step at all; the registry reads the source only after the attempt.
   */
  source: ZSourceRef.optional(),
}).strict();
export type TTrialComplete = z.infer<typeof ZTrialComplete>;

// ---------------------------------------------------------------- server → agent

export const ZRunResources = z
  .object({
    gpus: z.number().int().min(0).max(64),
    memory_gb: z.number().positive().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const ZTrialLease = ZLeaseRef.extend({
  v: ZV,
  studyId: ZUuid,
  number: z.number().int().min(0),
  leaseExpiresAt: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  objective: z.object({ metric: z.string(), direction: z.enum(["minimize", "maximize"]) }).strict(),
  run: z
    .object({
      /** Exactly one of command and builtin (the study spec's run.command / run.builtin). */
      command: z.string().min(1).max(10_000).optional(),
      builtin: ZBuiltinRun.optional(),
      workdir: z.string().max(1000).optional(),
      env: z.record(z.string(), z.string()).optional(),
      timeoutMinutes: z.number().positive().optional(),
      /** run.artifacts: the output files to upload (globs); absent: all. */
      artifacts: z.array(z.string().min(1).max(500)).max(100).optional(),
      /** run.artifacts_max_mb; absent: DEFAULT_ARTIFACTS_MB. */
      artifactsMaxMb: z.number().int().min(0).optional(),
      resources: ZRunResources,
    })
    .strict()
    .refine((r) => (r.command === undefined) !== (r.builtin === undefined), {
      message: "needs exactly one of command or builtin",
    }),
}).strict();
export type TTrialLease = z.infer<typeof ZTrialLease>;

export const ZTrialSignal = z
  .object({
    v: ZV,
    trialId: ZUuid,
    leaseToken: ZUuid,
    code: ZEndCode,
    reason: z.string().max(2000),
  })
  .strict();
/** trial:prune and trial:stop: stop the process (SIGTERM, SIGKILL after the grace). */
export type TTrialSignal = z.infer<typeof ZTrialSignal>;

// ---------------------------------------------------------------- acks

export const AGENT_ERROR_CODES = [
  "BAD_REQUEST",
  "UNSUPPORTED_VERSION",
  "NOT_REGISTERED",
  "STALE_LEASE",
  "OUT_OF_ORDER",
  "UNAUTHORIZED",
  /** agent:register under a name another member's agent holds (only its owner or an admin may replace it). */
  "NAME_TAKEN",
  "INTERNAL",
] as const;
export type TAgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

export const ZAckError = z
  .object({ ok: z.literal(false), error: z.object({ code: z.enum(AGENT_ERROR_CODES), message: z.string() }) })
  .strict();
export type TAckError = z.infer<typeof ZAckError>;

const ok = <T extends z.ZodRawShape>(shape: T) => z.object({ ok: z.literal(true), ...shape }).strict();

export const ZRegisterAck = z.union([
  ok({
    agentId: ZUuid,
    orgId: ZUuid,
    heartbeatMs: z.number().int().positive(),
    leaseTtlMs: z.number().int().positive(),
    /** Trials from `running` the server no longer leases to this agent: kill them (R2). */
    stale: z.array(ZUuid),
    /** Replicas from `replicas` the server no longer leases to this agent: stop them. */
    staleReplicas: z.array(ZUuid).optional(),
  }),
  ZAckError,
]);
export type TRegisterAck = z.infer<typeof ZRegisterAck>;

export const ZHeartbeatAck = z.union([
  ok({
    stale: z.array(ZUuid),
    /** Replicas from `replicas` the server no longer leases to this agent: stop them. */
    staleReplicas: z.array(ZUuid).optional(),
  }),
  ZAckError,
]);
export type THeartbeatAck = z.infer<typeof ZHeartbeatAck>;

export const ZReadyAck = z.union([ok({}), ZAckError]);
export type TReadyAck = z.infer<typeof ZReadyAck>;

export const ZMetricAck = z.union([ok({ prune: z.boolean(), stored: z.number().int().min(0) }), ZAckError]);
export type TMetricAck = z.infer<typeof ZMetricAck>;

export const ZCompleteAck = z.union([
  ok({
    state: z.enum(["waiting", "running", "complete", "pruned", "failed"]),
    /** True when this was a replay of a completion already stored (R7). */
    duplicate: z.boolean(),
  }),
  ZAckError,
]);
export type TCompleteAck = z.infer<typeof ZCompleteAck>;

export const ZLeaseAck = z.union([ok({ accepted: z.boolean(), reason: z.string().max(500).optional() }), ZAckError]);
export type TLeaseAck = z.infer<typeof ZLeaseAck>;

export const ZSignalAck = z.union([ok({ known: z.boolean() }), ZAckError]);
export type TSignalAck = z.infer<typeof ZSignalAck>;

export function ackError(code: TAgentErrorCode, message: string): TAckError {
  return { ok: false, error: { code, message } };
}
