import type { TLoadableFlavor } from "./model-loader.js";
import type { TeamServerSpec } from "./team-server.js";

/** What a replica child serves: a model it loads itself, or (`command`) the team's own server it starts and proxies to. */
export type TReplicaChildFlavor = TLoadableFlavor | "command";

/** For flavor `command`: the team's server, the user it runs as, and the cookie that marks its processes. */
export interface ReplicaChildCommand extends TeamServerSpec {
  runAs: { uid: number; gid: number } | null;
  cookie: string;
  /** After draining, the team's server gets SIGTERM and this long before SIGKILL. */
  stopGraceMs: number;
}

/** parent → child, once, first: what to serve and where. The secret travels over IPC, never in the environment. */
export interface ReplicaChildConfig {
  type: "config";
  modelDir: string;
  flavor: TReplicaChildFlavor;
  /** Set exactly when `flavor` is `command`. */
  command?: ReplicaChildCommand;
  /** For `command`: the environment the team's server starts from, the replica's own (the trial allowlist, never the agent's token). */
  teamEnv?: Record<string, string>;
  endpoint: string;
  model: string;
  version: number;
  secret: string;
  host: string;
  /** GPUs the replica holds (CUDA_VISIBLE_DEVICES): an ONNX model runs on CUDA when this is not 0 and the provider is installed. */
  gpus: number;
  /** 0 at first; after a restart the port it had, so the gateway's URL still holds (another one if taken). */
  port: number;
}

/** parent → child: stop accepting, let in-flight requests finish for up to graceMs, exit. */
export interface ReplicaChildDrain {
  type: "drain";
  graceMs: number;
}

/** child → parent: the model is loaded, warmed up and served on this port; or why it could not be. */
export type ReplicaChildReport = { type: "listening"; port: number } | { type: "failed"; reason: string };
