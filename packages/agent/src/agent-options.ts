import { mkdirSync } from "node:fs";
import path from "node:path";
import { DEFAULT_ACK_TIMEOUT_MS, DEFAULT_KILL_GRACE_MS, type Logger, type TGpu } from "@autoglm/protocol";
import { describeMachine, detectGpus } from "./system.js";
import type { TrialUser } from "./trial-user.js";

export interface AgentOptions {
  /** The server's base URL, e.g. http://127.0.0.1:3000 (the agent connects to its /agents namespace). */
  server: string;
  /** An API token with the `agent` scope. Sent only in the Socket.IO handshake's `auth`. */
  token: string;
  /** Unique per team; default the host name. */
  name?: string;
  labels?: Record<string, string>;
  /** Trials run at once; default the GPU count, at least 1. */
  maxTrials?: number;
  /** GPUs to offer instead of asking nvidia-smi (tests, or to reserve some). */
  gpus?: TGpu[];
  nvidiaSmi?: string;
  /** Heartbeat period H (ms); the server's register ack may set it. Default 5 s. */
  heartbeatMs?: number;
  /** SIGTERM → SIGKILL grace when a trial is pruned or stopped (ms). Default 30 s (W&B KILL_DELAY). */
  killGraceMs?: number;
  /** On the agent's own SIGTERM: how long trials get to checkpoint before SIGKILL (ms). Default 10 s (R10). */
  shutdownGraceMs?: number;
  ackTimeoutMs?: number;
  /** Intermediate values are batched this long before being sent (ms). Default 100 ms (R9 budget 1 s). */
  metricFlushMs?: number;
  /** Bytes of each trial's log kept for the dashboard. Default 64 KiB. */
  logLimitBytes?: number;
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** Where trial output directories live (`<workDir>/trials/<trialId>/attempt-<n>`). */
  workDir?: string;
  /** Default working directory of trials (run.workdir is resolved against it). Default process.cwd(). */
  cwd?: string;
  /** Extra variable names passed through to trials besides DEFAULT_ENV_ALLOWLIST. */
  envAllowlist?: string[];
  /**
   * The user trials run as. Default: the agent's own user, except that an agent running as
   * root runs trials as `nobody` (65534) — S8: trials never run as uid 0. `null` keeps root.
   * Another user than the agent's needs a root agent. What a trial needs (its working
   * directory, its script, the builtin runner, the work dir) is checked to be reachable by
   * this user at start and at each lease (trial-access.ts).
   */
  runAs?: TrialUser | null;
  /**
   * Where the builtin trainers' runtime is staged (builtin-runtime.ts); default
   * `<tmpdir>/autoglm-runtime-<uid>`. Must be reachable by the trial user.
   */
  runtimeDir?: string;
  /** Serve Prometheus metrics on this port (0: any free one); none when unset. */
  metricsPort?: number;
  /** The metrics listener's address; default 127.0.0.1 (a container sets 0.0.0.0 for the cluster's Prometheus). */
  metricsHost?: string;
  /** Address serving replicas listen on (AUTOGLM_SERVE_HOST); the server's gateway must reach it. Default 127.0.0.1. */
  serveHost?: string;
  /** A replica must load its model and answer its warm-up and health check within this (ms). Default 120 s. */
  replicaStartTimeoutMs?: number;
  logger?: Logger;
  /** The environment trials inherit allowlisted variables from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The options with every default applied: what the agent's parts read. */
export interface AgentSettings {
  server: string;
  token: string;
  name: string;
  labels: Record<string, string>;
  machine: { host: string; cpuCores: number; memoryMb: number };
  gpus: TGpu[];
  /** GPUs were given in the options, so there is no nvidia-smi to ask about their use. */
  gpusOffered: boolean;
  nvidiaSmi: string | undefined;
  maxTrials: number;
  /** The heartbeat period set in the options; when absent the server's register ack sets it. */
  heartbeatMs: number | undefined;
  ackTimeoutMs: number;
  killGraceMs: number;
  shutdownGraceMs: number;
  metricFlushMs: number;
  logLimitBytes: number;
  reconnectDelayMs: number;
  reconnectDelayMaxMs: number;
  workDir: string;
  /** `<workDir>/trials`, made at start. */
  trialsDir: string;
  cwd: string;
  envAllowlist: string[];
  agentEnv: NodeJS.ProcessEnv;
  serveHost: string;
  replicaStartTimeoutMs: number;
}

/** Applies the defaults, asks nvidia-smi for the GPUs unless some are offered, and makes the work dir. */
export async function resolveAgentSettings(options: AgentOptions, agentEnv: NodeJS.ProcessEnv): Promise<AgentSettings> {
  const machine = describeMachine();
  const gpus = options.gpus ?? (await detectGpus(options.nvidiaSmi));
  const workDir = path.resolve(options.workDir ?? path.join(process.cwd(), ".autoglm-agent"));
  const trialsDir = path.join(workDir, "trials");
  mkdirSync(trialsDir, { recursive: true });
  return {
    server: options.server,
    token: options.token,
    name: (options.name ?? machine.host).replace(/[^A-Za-z0-9_.:@-]/g, "-").slice(0, 100),
    labels: options.labels ?? {},
    machine,
    gpus,
    gpusOffered: options.gpus !== undefined,
    nvidiaSmi: options.nvidiaSmi,
    maxTrials: options.maxTrials ?? Math.max(1, gpus.length),
    heartbeatMs: options.heartbeatMs,
    ackTimeoutMs: options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
    metricFlushMs: options.metricFlushMs ?? 100,
    logLimitBytes: options.logLimitBytes ?? 64 * 1024,
    reconnectDelayMs: options.reconnectDelayMs ?? 500,
    reconnectDelayMaxMs: options.reconnectDelayMaxMs ?? 5_000,
    workDir,
    trialsDir,
    cwd: options.cwd ?? process.cwd(),
    envAllowlist: options.envAllowlist ?? [],
    agentEnv,
    serveHost: options.serveHost ?? (agentEnv.AUTOGLM_SERVE_HOST || "127.0.0.1"),
    replicaStartTimeoutMs: options.replicaStartTimeoutMs ?? 120_000,
  };
}
