import { checkRowCount, describe, InputError } from "./batch.js";
import { outputNames } from "./kserve-inputs.js";
import type { KserveTensor, TensorSpec } from "./served-model.js";

/** ONNX element types a replica feeds from JSON and answers in it, with their KServe v2 datatype. */
export const ONNX_DATATYPES = {
  float32: "FP32",
  float64: "FP64",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  bool: "BOOL",
  string: "BYTES",
} as const;
export type TOnnxType = keyof typeof ONNX_DATATYPES;

export function isServedOnnxType(type: string): type is TOnnxType {
  return Object.hasOwn(ONNX_DATATYPES, type);
}

/** What `new ort.Tensor(type, data, dims)` takes for one input. */
export interface OnnxFeed {
  type: TOnnxType;
  data:
    | Float32Array
    | Float64Array
    | Int8Array
    | Int16Array
    | Int32Array
    | BigInt64Array
    | Uint8Array
    | Uint16Array
    | Uint32Array
    | BigUint64Array
    | string[];
  dims: number[];
}

/** An input of the model: its ONNX type beside its KServe spec. */
export interface OnnxInputSpec extends TensorSpec {
  type: TOnnxType;
}

export interface OnnxInferRequest {
  feeds: Record<string, OnnxFeed>;
  id?: string;
  outputs?: string[];
}

/** JSON numbers are exact up to 2^53: 64-bit integers outside that range cannot arrive intact. */
const INT_RANGES: Partial<Record<TOnnxType, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32_768, 32_767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint16: [0, 65_535],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};
const INT_DATATYPES = ["INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"];
/** A float input takes any numeric tensor (JSON numbers either way), as the builtin replica does. */
const NUMERIC_DATATYPES = ["FP16", "FP32", "FP64", ...INT_DATATYPES];

function acceptedDatatypes(type: TOnnxType): string[] {
  if (type === "float32" || type === "float64") return NUMERIC_DATATYPES;
  if (INT_RANGES[type]) return INT_DATATYPES;
  return [ONNX_DATATYPES[type]];
}

function checkShape(where: string, shape: unknown, spec: OnnxInputSpec): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new InputError(`${where}.shape must be a list of non-negative integers, got ${describe(shape)}`);
  const dims = shape as number[];
  const fits =
    spec.shape.length === 0 || (dims.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === dims[i]));
  if (!fits)
    throw new InputError(
      `${where}.shape is [${dims.join(", ")}]; input ${JSON.stringify(spec.name)} takes [${spec.shape.join(", ")}] (-1: any size)`,
    );
  if (spec.shape[0] === -1) checkRowCount(dims[0]!);
  return dims;
}

function numbers(where: string, data: unknown[], type: TOnnxType): number[] {
  const range = INT_RANGES[type];
  return data.map((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new InputError(`${where}.data[${i}] must be a finite number, got ${typeof v === "number" ? String(v) : describe(v)}`);
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1]))
      throw new InputError(`${where}.data[${i}] is ${v}, not an ${type} (an integer in [${range[0]}, ${range[1]}])`);
    return v;
  });
}

function typedData(where: string, data: unknown[], type: TOnnxType): OnnxFeed["data"] {
  if (type === "string") {
    const bad = data.findIndex((v) => typeof v !== "string");
    if (bad >= 0) throw new InputError(`${where}.data[${bad}] must be a string, got ${describe(data[bad])}`);
    return data as string[];
  }
  if (type === "bool") {
    const bad = data.findIndex((v) => typeof v !== "boolean");
    if (bad >= 0) throw new InputError(`${where}.data[${bad}] must be true or false, got ${describe(data[bad])}`);
    return Uint8Array.from(data as boolean[], (b) => (b ? 1 : 0));
  }
  const n = numbers(where, data, type);
  switch (type) {
    case "float32":
      return Float32Array.from(n);
    case "float64":
      return Float64Array.from(n);
    case "int8":
      return Int8Array.from(n);
    case "int16":
      return Int16Array.from(n);
    case "int32":
      return Int32Array.from(n);
    case "int64":
      return BigInt64Array.from(n, BigInt);
    case "uint8":
      return Uint8Array.from(n);
    case "uint16":
      return Uint16Array.from(n);
    case "uint32":
      return Uint32Array.from(n);
    case "uint64":
      return BigUint64Array.from(n, BigInt);
  }
}

/** `size` zeros (false, "") of an input's type: the warm-up inference's feed. */
export function zeroData(type: TOnnxType, size: number): OnnxFeed["data"] {
  return typedData("warm-up", new Array<unknown>(size).fill(type === "bool" ? false : type === "string" ? "" : 0), type);
}

/** One request tensor checked against the input it names: datatype, shape against the model's, values against both. */
function feedOf(where: string, tensor: Record<string, unknown>, spec: OnnxInputSpec): OnnxFeed {
  const accepted = acceptedDatatypes(spec.type);
  if (typeof tensor.datatype !== "string" || !accepted.includes(tensor.datatype))
    throw new InputError(
      `${where}.datatype ${describe(tensor.datatype)} does not fit input ${JSON.stringify(spec.name)} (${spec.datatype}); use ${accepted.join(", ")}`,
    );
  const dims = checkShape(where, tensor.shape, spec);
  if (!Array.isArray(tensor.data)) throw new InputError(`${where}.data must be a list, got ${describe(tensor.data)}`);
  const size = dims.reduce((a, b) => a * b, 1);
  // The protocol allows nested row-major data as well as flat.
  const data = tensor.data.some(Array.isArray) ? (tensor.data as unknown[]).flat(Infinity) : tensor.data;
  if (data.length !== size)
    throw new InputError(`${where}.data has ${data.length} values; shape [${dims.join(", ")}] holds ${size}`);
  return { type: spec.type, data: typedData(where, data, spec.type), dims };
}

/** `POST /v2/models/{name}/infer` for an ONNX model: one tensor per model input, by name, each checked before it is fed. */
export function parseOnnxInfer(body: unknown, specs: OnnxInputSpec[]): OnnxInferRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new InputError(`the body must be a JSON object with "inputs"`);
  const { inputs, id, outputs } = body as { inputs?: unknown; id?: unknown; outputs?: unknown };
  const names = specs.map((s) => JSON.stringify(s.name)).join(", ");
  if (!Array.isArray(inputs)) throw new InputError(`"inputs" must be a list of tensors (${names}), got ${describe(inputs)}`);
  if (id !== undefined && typeof id !== "string") throw new InputError(`"id" must be a string`);
  const feeds: Record<string, OnnxFeed> = {};
  inputs.forEach((t: unknown, i) => {
    const where = `inputs[${i}]`;
    if (t === null || typeof t !== "object" || Array.isArray(t))
      throw new InputError(`${where} must be an object with name, shape, datatype and data`);
    const tensor = t as Record<string, unknown>;
    const spec = specs.find((s) => s.name === tensor.name);
    if (!spec)
      throw new InputError(`${where}.name ${describe(tensor.name)} is not an input of the model; its inputs are ${names}`);
    if (Object.hasOwn(feeds, spec.name)) throw new InputError(`input ${JSON.stringify(spec.name)} is given twice`);
    feeds[spec.name] = feedOf(where, tensor, spec);
  });
  const missing = specs.find((s) => !Object.hasOwn(feeds, s.name));
  if (missing) throw new InputError(`input ${JSON.stringify(missing.name)} is missing; the model takes ${names}`);
  return { feeds, ...(id !== undefined ? { id } : {}), ...(outputNames(outputs) ?? {}) };
}

/** An output tensor of onnxruntime in KServe's JSON form: 64-bit integers as numbers, booleans as booleans. */
export function kserveTensorOf(name: string, t: { type: string; dims: readonly number[]; data: unknown }): KserveTensor {
  const datatype = isServedOnnxType(t.type) ? ONNX_DATATYPES[t.type] : t.type.toUpperCase();
  const source = t.data as ArrayLike<number | bigint | string>;
  const data =
    t.type === "bool"
      ? Array.from(source as ArrayLike<number>, (v) => v !== 0)
      : Array.from(source, (v) => (typeof v === "bigint" ? Number(v) : v));
  return { name, datatype, shape: [...t.dims], data };
}
