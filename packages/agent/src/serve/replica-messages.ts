import type { TLoadableFlavor } from "./served-model.js";

/** parent → child, once, first: what to serve and where. The secret travels over IPC, never in the environment. */
export interface ReplicaChildConfig {
  type: "config";
  modelDir: string;
  flavor: TLoadableFlavor;
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
