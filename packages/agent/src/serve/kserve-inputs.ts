import { checkRowCount, describe, InputError, type Batch } from "./batch.js";

/** Open Inference Protocol (KServe v2) tensor types a tabular model accepts. */
export const KSERVE_INPUT_DATATYPES = ["FP32", "FP64", "INT32", "INT64"] as const;
type TDatatype = (typeof KSERVE_INPUT_DATATYPES)[number];

/** What the request asked for, echoed in the answer. */
export interface KserveRequest {
  batch: Batch;
  id?: string;
  /** Output names asked for (`outputs[].name`); all when absent. */
  outputs?: string[];
}

const INT32_MAX = 2 ** 31 - 1;

/** A tensor's `data`: flat, or nested row-major (both are allowed by the protocol); flattened. */
function flatten(data: unknown[], size: number): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const flat = (data as unknown[]).flat(Infinity);
  if (flat.length > size) throw new InputError(`inputs[0].data has ${flat.length} values; its shape holds ${size}`);
  return flat;
}

function checkValue(v: unknown, i: number, datatype: TDatatype): number {
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new InputError(
      `inputs[0].data[${i}] must be a finite ${datatype} number, got ${typeof v === "number" ? String(v) : describe(v)}`,
    );
  if (datatype.startsWith("INT") && !Number.isInteger(v))
    throw new InputError(`inputs[0].data[${i}] is ${v}, not an ${datatype}`);
  if (datatype === "INT32" && Math.abs(v) > INT32_MAX) throw new InputError(`inputs[0].data[${i}] is ${v}, outside INT32`);
  return v;
}

function checkShape(shape: unknown, width: number): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new InputError(`inputs[0].shape must be a list of non-negative integers, got ${describe(shape)}`);
  if (shape.length !== 2 || shape[1] !== width)
    throw new InputError(`inputs[0].shape is [${shape.join(", ")}]; the model takes [-1, ${width}] (rows × ${width})`);
  checkRowCount(shape[0] as number);
  return shape[0] as number;
}

/** `POST /v2/models/{name}/infer`: exactly one input tensor of shape [rows, width], numeric datatype. */
export function parseKserveInfer(body: unknown, width: number): KserveRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new InputError(`the body must be a JSON object with "inputs"`);
  const { inputs, id, outputs } = body as { inputs?: unknown; id?: unknown; outputs?: unknown };
  if (!Array.isArray(inputs) || inputs.length !== 1)
    throw new InputError(
      `"inputs" must be a list of exactly one tensor, got ${Array.isArray(inputs) ? `${inputs.length} tensors` : describe(inputs)}`,
    );
  if (id !== undefined && typeof id !== "string") throw new InputError(`"id" must be a string`);
  const tensor = inputs[0] as { name?: unknown; shape?: unknown; datatype?: unknown; data?: unknown } | null;
  if (tensor === null || typeof tensor !== "object")
    throw new InputError(`inputs[0] must be an object with name, shape, datatype and data`);
  if (typeof tensor.name !== "string") throw new InputError(`inputs[0].name must be a string`);
  if (!(KSERVE_INPUT_DATATYPES as readonly unknown[]).includes(tensor.datatype))
    throw new InputError(
      `inputs[0].datatype ${describe(tensor.datatype)} is not accepted; use one of ${KSERVE_INPUT_DATATYPES.join(", ")}`,
    );
  const datatype = tensor.datatype as TDatatype;
  const rows = checkShape(tensor.shape, width);
  if (!Array.isArray(tensor.data)) throw new InputError(`inputs[0].data must be a list of numbers, got ${describe(tensor.data)}`);
  const size = rows * width;
  const data = flatten(tensor.data, size);
  if (data.length !== size)
    throw new InputError(`inputs[0].data has ${data.length} values; shape [${rows}, ${width}] holds ${size}`);
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = checkValue(data[i], i, datatype);
  return { batch: { x, rows }, ...(id !== undefined ? { id } : {}), ...(outputNames(outputs) ?? {}) };
}

/** `outputs: [{"name": …}]`: the output names asked for. */
export function outputNames(outputs: unknown): { outputs: string[] } | null {
  if (outputs === undefined) return null;
  if (
    !Array.isArray(outputs) ||
    !outputs.every((o) => o && typeof o === "object" && typeof (o as { name?: unknown }).name === "string")
  )
    throw new InputError(`"outputs" must be a list of {"name": …}`);
  return { outputs: outputs.map((o) => (o as { name: string }).name) };
}
