import { readFileSync } from "node:fs";
import path from "node:path";
import { InputError } from "./batch.js";
import { parseKserveInfer } from "./kserve-inputs.js";
import { kserveOutputs, kserveOutputSpecs, mlflowPredictions, type TabularModel } from "./predictions.js";
import { languageServedModel, type ServedModel } from "./served-model.js";
import { nativeLanguageModel } from "./language-model.js";
import type { Model } from "@autoglm/native";

const positiveInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

/**
 * A builtin MLP (or tabular GLM): `model.safetensors` loaded with @autoglm/native, its width and task from
 * `builtin.json` (the registry's signature is read from the same file), else from the
 * weights' own config. The addon is imported here, in the replica's process only.
 */
function builtinMlp(dir: string, model: Model): TabularModel {
  if (model.kind !== "mlp") throw new Error(`model.safetensors holds a ${model.kind} model, not a tabular one`);
  let described: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(readFileSync(path.join(dir, "builtin.json"), "utf8")) as { config?: Record<string, unknown> };
    described = parsed.config ?? {};
  } catch {
    /* an older runner wrote no builtin.json: the weights' config says the same */
  }
  const config = { ...model.config, ...described };
  if (!positiveInt(config.inputs) || !positiveInt(config.outputs))
    throw new Error("the model does not say its input and output widths");
  return {
    inputs: config.inputs,
    outputs: config.outputs,
    task: config.task === "regression" ? "regression" : "classification",
    predict: (x, rows) => model.predict(x, rows),
  };
}

/**
 * A builtin model: a glm language model behind the OpenAI routes, else a tabular one behind
 * both MLflow and KServe v2 (one input tensor "input" [-1, width]; `predictions` (and `probabilities`)).
 */
export async function loadBuiltinModel(dir: string): Promise<ServedModel> {
  const { loadModel } = await import("@autoglm/native");
  const loaded = await loadModel(path.join(dir, "model.safetensors"));
  if (loaded.kind === "glm") return languageServedModel(nativeLanguageModel(loaded));
  const model = builtinMlp(dir, loaded);
  const outputs = kserveOutputSpecs(model, -1);
  return {
    platform: "autoglm-builtin",
    mlflow: { width: model.inputs },
    inputs: [{ name: "input", datatype: "FP32", shape: [-1, model.inputs] }],
    outputs,
    warmUp: async () => void (await model.predict(new Float32Array(model.inputs), 1)),
    predict: async ({ x, rows }) => mlflowPredictions(model, await model.predict(x, rows), rows),
    async infer(body) {
      const request = parseKserveInfer(body, model.inputs);
      const known = outputs.map((s) => s.name);
      const unknown = request.outputs?.find((n) => !known.includes(n));
      if (unknown !== undefined) throw new InputError(`output ${JSON.stringify(unknown)} is not one of ${known.join(", ")}`);
      const { x, rows } = request.batch;
      const p = await model.predict(x, rows);
      return { ...(request.id !== undefined ? { id: request.id } : {}), outputs: kserveOutputs(model, p, rows, request.outputs) };
    },
  };
}
