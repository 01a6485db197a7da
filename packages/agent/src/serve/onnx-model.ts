import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as OrtModule from "onnxruntime-node";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { InputError, type Batch } from "./batch.js";
import {
  isServedOnnxType,
  kserveTensorOf,
  ONNX_DATATYPES,
  parseOnnxInfer,
  zeroData,
  type OnnxFeed,
  type OnnxInputSpec,
} from "./onnx-tensors.js";
import type { ServedModel, TensorSpec } from "./served-model.js";

type Ort = typeof OrtModule;

/** `model.onnx` at the top of the version's files, else its one `.onnx` file (the registry's flavor rule). */
function onnxFileIn(dir: string): string {
  const top = path.join(dir, "model.onnx");
  if (existsSync(top)) return top;
  const found = (readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.toLowerCase().endsWith(".onnx"));
  if (found.length === 1) return path.join(dir, found[0]!);
  throw new Error(
    found.length === 0
      ? "the model's files hold no .onnx file"
      : `the model's files hold ${found.length} .onnx files (${found.sort().join(", ")}) and none is model.onnx: say which by naming it model.onnx`,
  );
}

/**
 * CUDA only for a replica that holds a GPU and when the CUDA provider is installed: its files
 * come from onnxruntime-node's install script, which this repository does not run (it
 * downloads from NuGet), so a plain install serves on the CPU without trying.
 */
function executionProviders(gpus: number): string[] {
  if (gpus === 0) return ["cpu"];
  const binding = path.resolve(path.dirname(createRequire(import.meta.url).resolve("onnxruntime-node")), "..", "bin", "napi-v6");
  const cuda = path.join(binding, process.platform, process.arch, "libonnxruntime_providers_cuda.so");
  return existsSync(cuda) ? ["cuda", "cpu"] : ["cpu"];
}

/** KServe's view of one input or output; a non-tensor value (a ZipMap's sequence of maps) or a float16 one is refused. */
function specOf(m: InferenceSession.ValueMetadata, role: "input" | "output"): OnnxInputSpec {
  if (!m.isTensor)
    throw new Error(
      `${role} ${JSON.stringify(m.name)} is not a tensor (a sequence or map, as scikit-learn's ZipMap gives): export with options={id(model): {"zipmap": False}}`,
    );
  if (!isServedOnnxType(m.type))
    throw new Error(
      `${role} ${JSON.stringify(m.name)} is a ${m.type} tensor, which this replica does not serve; export it as float32`,
    );
  return {
    name: m.name,
    type: m.type,
    datatype: ONNX_DATATYPES[m.type],
    shape: m.shape.map((d) => (typeof d === "number" && d >= 0 ? d : -1)),
  };
}

/** `/invocations` rows feed the model's one 2-D float input of fixed width; another model is called through KServe. */
function mlflowOf(inputs: OnnxInputSpec[]): ServedModel["mlflow"] {
  const first = inputs[0]!;
  const why =
    inputs.length !== 1
      ? `this model takes ${inputs.length} inputs`
      : first.type !== "float32" && first.type !== "float64"
        ? `its input ${JSON.stringify(first.name)} is ${first.datatype}, not a float tensor`
        : first.shape.length !== 2 || first.shape[1]! < 1
          ? `its input ${JSON.stringify(first.name)} has shape [${first.shape.join(", ")}], not [rows, a fixed width]`
          : null;
  if (why === null) return { width: first.shape[1]! };
  return {
    unavailable: `/invocations feeds rows to a model's one 2-D float input, and ${why}; call /v2/models/{endpoint}/infer`,
  };
}

function tensorOf(ort: Ort, f: OnnxFeed): Tensor {
  return new ort.Tensor(f.type, f.data, f.dims);
}

/** Zeros (false, "") of each input's shape with 1 for its free dimensions: the warm-up request. */
function zeroFeeds(ort: Ort, inputs: OnnxInputSpec[]): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const s of inputs) {
    const dims = s.shape.map((d) => (d === -1 ? 1 : d));
    const size = dims.reduce((a, b) => a * b, 1);
    feeds[s.name] = tensorOf(ort, { type: s.type, data: zeroData(s.type, size), dims });
  }
  return feeds;
}

/** MLflow's `predictions`: the first output per row; a [rows, 1] output is one value per row, as scikit-learn's predict gives. */
function rowsOf(t: Tensor): unknown[] {
  const { data } = kserveTensorOf("", t);
  const rows = t.dims[0] ?? data.length;
  const per = rows === 0 ? 0 : data.length / rows;
  if (t.dims.length <= 1 || per === 1) return data;
  return Array.from({ length: rows }, (_, r) => data.slice(r * per, (r + 1) * per));
}

/**
 * An ONNX model through onnxruntime-node, imported here: the replica's process loads it, the
 * agent never does. Input and output names, types and shapes come from the session.
 */
export async function loadOnnxModel(dir: string, o: { gpus: number }): Promise<ServedModel> {
  const file = onnxFileIn(dir);
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(file, {
    executionProviders: executionProviders(o.gpus),
    // onnxruntime's pool threads spin after each run waiting for the next: on an agent whose
    // cores also run trials (or the bench's one pinned core) the spinning takes the core from
    // the very thread it waits for.
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  });
  const inputs = session.inputMetadata.map((m) => specOf(m, "input"));
  const outputs: TensorSpec[] = session.outputMetadata.map((m) => specOf(m, "output"));
  if (inputs.length === 0) throw new Error("the model takes no input");
  const publicSpec = ({ name, datatype, shape }: TensorSpec): TensorSpec => ({ name, datatype, shape });
  const mlflow = mlflowOf(inputs);
  const outputNames = outputs.map((s) => s.name);
  return {
    platform: "onnxruntime_onnx",
    mlflow,
    inputs: inputs.map(publicSpec),
    outputs: outputs.map(publicSpec),
    warmUp: async () => void (await session.run(zeroFeeds(ort, inputs))),
    async predict({ x, rows }: Batch) {
      if (!("width" in mlflow)) throw new InputError(mlflow.unavailable);
      const input = inputs[0]!;
      const data = input.type === "float64" ? Float64Array.from(x) : x;
      const result = await session.run({ [input.name]: tensorOf(ort, { type: input.type, data, dims: [rows, mlflow.width] }) }, [
        outputNames[0]!,
      ]);
      return rowsOf(result[outputNames[0]!] as Tensor);
    },
    async infer(body) {
      const request = parseOnnxInfer(body, inputs);
      const unknown = request.outputs?.find((n) => !outputNames.includes(n));
      if (unknown !== undefined)
        throw new InputError(`output ${JSON.stringify(unknown)} is not one of ${outputNames.join(", ")}`);
      const fetches = request.outputs ?? outputNames;
      const feeds = Object.fromEntries(Object.entries(request.feeds).map(([name, f]) => [name, tensorOf(ort, f)]));
      const result = await session.run(feeds, fetches);
      return {
        ...(request.id !== undefined ? { id: request.id } : {}),
        outputs: fetches.map((name) => kserveTensorOf(name, result[name] as Tensor)),
      };
    },
  };
}
