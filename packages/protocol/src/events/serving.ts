import { z } from "zod";
import { noNul } from "../text.js";
import { PROTOCOL_VERSION } from "./constants.js";
import { ZRunResources } from "./schemas.js";

/**
 * Serving replicas over the `/agents` namespace: the server asks an agent to run one replica of
 * an endpoint (`replica:start`), the agent answers when it serves (`replica:ready`) or when it
 * stopped (`replica:ended`), and keeps its replicas' leases alive in its heartbeats
 * (`ZAgentHeartbeat.replicas`), as trials do. Every payload is fenced by the replica's lease token.
 */

const ZV = z.literal(PROTOCOL_VERSION);
const ZUuid = z.string().uuid();

/**
 * Replicas of one version that may fail for their own reason (a model that does not load, a
 * crash loop) within an hour before the platform stops starting more: the old version keeps
 * serving, and it tries again as the failures age past the hour (or when the alias moves).
 */
export const MAX_REPLICA_FAILURES_PER_HOUR = 3;

export const REPLICA_FLAVORS = ["builtin-mlp", "builtin-glm", "onnx", "command"] as const;
export const ZReplicaFlavor = z.enum(REPLICA_FLAVORS);
export type TReplicaFlavor = z.infer<typeof ZReplicaFlavor>;

/** Names one replica and proves the sender holds its lease. */
export const ZReplicaRef = z.object({ replicaId: ZUuid, leaseToken: ZUuid }).strict();
export type TReplicaRef = z.infer<typeof ZReplicaRef>;

export const ZReplicaFile = z
  .object({
    name: noNul(z.string().min(1).max(500)),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

/** server → agent: run one replica. The agent downloads the files, checks them, loads, warms up, serves. */
export const ZReplicaStart = ZReplicaRef.extend({
  v: ZV,
  endpoint: z.object({ id: ZUuid, name: z.string().min(1).max(100) }).strict(),
  model: z
    .object({
      name: z.string().min(1).max(200),
      version: z.number().int().min(1),
      versionId: ZUuid,
      flavor: ZReplicaFlavor,
      /**
       * The registry's manifest digest exactly as the version records it (`manifestDigest`: 64 hex
       * characters, no prefix); a replica whose files do not match it refuses to load.
       */
      digest: z.string().regex(/^[0-9a-f]{64}$/),
      files: z.array(ZReplicaFile).min(1).max(10_000),
      /**
       * For `command`: the study's `serve` section as the version recorded it. The agent runs
       * `command` (`{port}` replaced) in the files' directory and proxies to it once `health` answers.
       */
      serve: z
        .object({
          command: z.string().min(1).max(10_000),
          health: z.string().min(1).max(500),
          startupTimeoutS: z.number().positive().max(3600),
        })
        .strict()
        .optional(),
    })
    .strict(),
  /** Sent by the gateway as `Authorization: Bearer <secret>`; the replica refuses any other caller. */
  secret: z.string().min(32).max(200),
  resources: ZRunResources,
  leaseExpiresAt: z.string(),
}).strict();
export type TReplicaStart = z.infer<typeof ZReplicaStart>;

/** server → agent: stop serving; in-flight requests get up to `graceMs` to finish. */
export const ZReplicaStop = ZReplicaRef.extend({
  v: ZV,
  graceMs: z.number().int().min(0).max(600_000),
  reason: z.string().max(2000),
}).strict();
export type TReplicaStop = z.infer<typeof ZReplicaStop>;

/** agent → server: the replica passed its readiness check (model loaded, one warm-up inference). */
export const ZReplicaReady = ZReplicaRef.extend({
  v: ZV,
  /** Where the gateway reaches it, e.g. http://10.0.3.7:41234 (AUTOGLM_SERVE_HOST, ephemeral port). */
  url: z.string().url().max(500),
  /** GPU indices it holds (CUDA_VISIBLE_DEVICES). */
  gpus: z.array(z.number().int().min(0).max(1023)).max(64),
}).strict();
export type TReplicaReady = z.infer<typeof ZReplicaReady>;

/** agent → server: the replica stopped (asked to, failed to load, crashed past its restarts). */
export const ZReplicaEnded = ZReplicaRef.extend({
  v: ZV,
  outcome: z.enum(["stopped", "failed"]),
  reason: z.string().max(2000).optional(),
}).strict();
export type TReplicaEnded = z.infer<typeof ZReplicaEnded>;

const ZAckError = z
  .object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }).strict() })
  .strict();
export const ZReplicaStartAck = z.union([
  z.object({ ok: z.literal(true), accepted: z.boolean(), reason: z.string().max(500).optional() }).strict(),
  ZAckError,
]);
export type TReplicaStartAck = z.infer<typeof ZReplicaStartAck>;
export const ZReplicaAck = z.union([z.object({ ok: z.literal(true), known: z.boolean() }).strict(), ZAckError]);
export type TReplicaAck = z.infer<typeof ZReplicaAck>;
