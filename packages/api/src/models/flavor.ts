import type { TStudySpec } from "@autoglm/protocol";
import type { TArtifactReader } from "../artifact-reader.js";

export const MODEL_FLAVORS = ["builtin-mlp", "builtin-glm", "onnx", "command", "files"] as const;
export type TModelFlavor = (typeof MODEL_FLAVORS)[number];

/** What a builtin MLP takes and gives, read from its builtin.json. */
export interface TModelSignature {
  inputs: { dtype: "float32"; shape: [number, number] };
  outputs: { task: "classification" | "regression"; size: number };
}

/**
 * `command` when the study declares its own server (`serve.command`: it knows its files best),
 * `builtin-<trainer>` when the study ran a builtin trainer and its builtin.json was uploaded
 * (the runner writes it beside model.safetensors), `onnx` when any `.onnx` file is there,
 * else `files`: nothing is promised about how to load them.
 */
export function flavorOf(spec: TStudySpec, names: string[]): TModelFlavor {
  if (spec.serve) return "command";
  const builtin = spec.run?.builtin;
  if (builtin && names.includes("builtin.json")) return builtin.trainer === "mlp" ? "builtin-mlp" : "builtin-glm";
  if (names.some((n) => n.toLowerCase().endsWith(".onnx"))) return "onnx";
  return "files";
}

/** builtin.json is a few hundred bytes; one far larger is not the runner's and is not read. */
const MAX_BUILTIN_JSON_BYTES = 64 * 1024;

async function readSmall(store: TArtifactReader, key: string, sizeBytes: number): Promise<string | null> {
  if (sizeBytes > MAX_BUILTIN_JSON_BYTES) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of (await store.get(key)) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const positiveInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

/**
 * A builtin MLP's signature from its builtin.json (`config.inputs`, `config.outputs`,
 * `config.task`); null for other flavors or when the file does not say (an older runner).
 */
export async function signatureOf(
  store: TArtifactReader,
  flavor: TModelFlavor,
  files: Array<{ name: string; sizeBytes: number; storeKey: string }>,
): Promise<TModelSignature | null> {
  const file = files.find((f) => f.name === "builtin.json");
  if (flavor !== "builtin-mlp" || !file) return null;
  let parsed: unknown;
  try {
    const text = await readSmall(store, file.storeKey, file.sizeBytes);
    parsed = text === null ? null : JSON.parse(text);
  } catch {
    return null;
  }
  const config = (parsed as { config?: Record<string, unknown> } | null)?.config;
  if (!config || !positiveInt(config.inputs) || !positiveInt(config.outputs)) return null;
  const task = config.task === "regression" ? "regression" : "classification";
  return { inputs: { dtype: "float32", shape: [-1, config.inputs] }, outputs: { task, size: config.outputs } };
}
