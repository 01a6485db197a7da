import type { ServedModel } from "./served-model.js";

/**
 * The flavors a replica child can load. `builtin-glm` on a tabular set is a linear model saved
 * as an MLP with no hidden layer; on a text set it is a language model (the OpenAI routes).
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
