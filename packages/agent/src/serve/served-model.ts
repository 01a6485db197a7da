import type { Batch } from "./batch.js";

/** A tensor as KServe v2 metadata describes it; -1 is a dimension of any size. */
export interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}

/** A tensor in the Open Inference Protocol's JSON form. */
export interface KserveTensor extends TensorSpec {
  data: Array<number | boolean | string>;
}

/** What `POST /v2/models/{e}/infer` answers besides the model's name and version. */
export interface KserveAnswer {
  id?: string;
  outputs: KserveTensor[];
}

/**
 * What a replica serves, whatever its flavor: MLflow's rows in and predictions out, KServe v2's
 * typed tensors in and out. Inference runs off the event loop; bad input throws InputError.
 */
export interface ServedModel {
  /** KServe metadata's `platform`. */
  readonly platform: string;
  /** Values per row that `/invocations` takes, or why this model cannot be called that way. */
  readonly mlflow: { width: number } | { unavailable: string };
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  /** One inference on zeros: readiness means the model is usable and its thread pool warm. */
  warmUp(): Promise<void>;
  /** MLflow's `predictions` for rows of `mlflow.width` values. */
  predict(batch: Batch): Promise<unknown[]>;
  /** A KServe v2 infer body (parsed JSON) → the output tensors it asks for (all when it names none). */
  infer(body: unknown): Promise<KserveAnswer>;
}

/**
 * The flavors a replica child can load. `builtin-glm` on a tabular set is a linear model saved
 * as an MLP with no hidden layer; a glm language model waits for the OpenAI routes.
 */
export const LOADABLE_FLAVORS = ["builtin-mlp", "builtin-glm", "onnx"] as const;
export type TLoadableFlavor = (typeof LOADABLE_FLAVORS)[number];

export function isLoadableFlavor(flavor: string): flavor is TLoadableFlavor {
  return (LOADABLE_FLAVORS as readonly string[]).includes(flavor);
}

/** Each flavor's loader is imported here, in the replica's process only: the agent never loads a model runtime. */
export async function loadServedModel(flavor: TLoadableFlavor, dir: string, o: { gpus: number }): Promise<ServedModel> {
  switch (flavor) {
    case "builtin-mlp":
    case "builtin-glm":
      return (await import("./builtin-model.js")).loadBuiltinModel(dir);
    case "onnx":
      return (await import("./onnx-model.js")).loadOnnxModel(dir, o);
  }
}
