// @autoglm/native — the hand-written facade over the napi-rs loader (binding.cjs).
// It turns the addon's coded errors into NativeError, wraps training in a
// { done, cancel } handle, and keeps user callbacks from throwing into native code.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Error codes: INVALID_ARG and TOO_LARGE are the caller's fault; the rest are ours. */
export class NativeError extends Error {
  constructor(code, message, options = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "NativeError";
    this.code = code;
    this.userMessage = options.userMessage ?? message;
    this.isCallerFault = code === "INVALID_ARG" || code === "TOO_LARGE";
  }
}

const PREFIXES = [
  ["E_INVALID_ARG: ", "INVALID_ARG"],
  ["E_TOO_LARGE: ", "TOO_LARGE"],
  ["E_NATIVE_FAILURE: ", "NATIVE_FAILURE"],
];

/** Maps an error thrown by the addon (or by napi's own argument checks) to NativeError. */
export function toNativeError(err) {
  if (err instanceof NativeError) return err;
  const message = typeof err?.message === "string" ? err.message : String(err);
  for (const [prefix, code] of PREFIXES) {
    const at = message.indexOf(prefix);
    if (at >= 0) return new NativeError(code, message.slice(at + prefix.length), { cause: err });
  }
  // napi-rs's own conversions (a string where a number belongs, …) carry code InvalidArg
  // or a "Failed to convert" message: those are argument errors too.
  if (err?.code === "InvalidArg" || /Failed to convert|expect|Expected/i.test(message)) {
    return new NativeError("INVALID_ARG", message, { cause: err });
  }
  return new NativeError("NATIVE_FAILURE", message, { cause: err });
}

function call(fn) {
  try {
    return fn();
  } catch (err) {
    throw toNativeError(err);
  }
}

async function callAsync(fn) {
  try {
    return await fn();
  } catch (err) {
    throw toNativeError(err);
  }
}

let binding;
try {
  binding = require("./binding.cjs");
} catch (err) {
  throw new NativeError(
    "NOT_BUILT",
    `@autoglm/native: the addon is not built or cannot load (${err?.message ?? err}); run \`pnpm --filter @autoglm/native build\``,
    { cause: err },
  );
}

/** What the module found: CPU always, CUDA devices when the driver loads. */
export function devices() {
  return call(() => binding.devices());
}

export function kernelNames() {
  return binding.kernelNames();
}

/** Finite-difference gradient check of one CPU kernel (see kernelNames()). */
export function gradCheck(kernel, seed) {
  return call(() => binding.gradCheck(kernel, seed));
}

/** Compares one kernel's CUDA output and gradients with the CPU path. */
export function cudaCompare(kernel) {
  return callAsync(() => binding.cudaCompare(kernel));
}

/** Compiles the CUDA kernels with NVRTC only (needs libnvrtc, not a GPU); resolves the PTX size. */
export function cudaCompileCheck(arch = "compute_90", headSize = 64) {
  return call(() => binding.cudaCompileCheck(arch, headSize));
}

/** f32 GEMM n×n×n throughput; threads 1 = single core. */
export function benchGemm({ n = 1024, threads = 1, iters = 5, device = "cpu" } = {}) {
  return callAsync(() => binding.benchGemm(n, threads, iters, device));
}

function asBytes(v, what) {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (v instanceof Uint8Array) return v;
  throw new NativeError("INVALID_ARG", `${what} must be a string, Buffer or Uint8Array`);
}

function asF32(v, what) {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Float32Array) return v;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Float32Array.from(v);
  throw new NativeError("INVALID_ARG", `${what} must be a Float32Array or an array of numbers`);
}

/** A trained or loaded model. */
export class Model {
  #m;
  constructor(inner) {
    this.#m = inner;
  }
  /** "mlp" | "glm" */
  get kind() {
    return this.#m.kind;
  }
  get config() {
    return JSON.parse(this.#m.configJson);
  }
  get paramCount() {
    return this.#m.paramCount;
  }
  /** mlp: probabilities (rows × classes) or regression outputs (rows × targets). */
  predict(x, rows, { signal } = {}) {
    if (!(Number.isInteger(rows) && rows > 0 && rows < 2 ** 32)) {
      return Promise.reject(new NativeError("INVALID_ARG", `predict: rows must be a positive integer, got ${rows}`));
    }
    return callAsync(() => this.#m.predict(asF32(x, "x"), rows, signal));
  }
  /** mlp classification: the most probable class per row. */
  async predictClasses(x, rows, options) {
    const p = await this.predict(x, rows, options);
    const k = p.length / rows;
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (p[r * k + j] > p[r * k + best]) best = j;
      out[r] = best;
    }
    return out;
  }
  /**
   * glm: sampled continuation of `prompt` as a Buffer of bytes; given an array of prompts,
   * samples them in parallel (prompt i with seed + i) and resolves to an array of Buffers.
   */
  async generate(prompt, { maxTokens, temperature, topK, topP, seed, signal } = {}) {
    const isBatch = Array.isArray(prompt);
    const prompts = (isBatch ? prompt : [prompt ?? ""]).map((p, i) => asBytes(p, isBatch ? `prompt[${i}]` : "prompt"));
    const out = await callAsync(() => this.#m.generate(prompts, { maxTokens, temperature, topK, topP, seed }, signal));
    return isBatch ? out : out[0];
  }
  /**
   * glm: a sampling session after `prompt` whose `next(n)` resolves to up to n more bytes,
   * continuing one KV cache and RNG (the same bytes as `generate` with the same options).
   */
  startGeneration(prompt, { maxTokens, temperature, topK, topP, seed } = {}) {
    const bytes = asBytes(prompt ?? "", "prompt");
    return new Generation(call(() => this.#m.startGeneration(bytes, { maxTokens, temperature, topK, topP, seed })));
  }
  /** glm: mean next-byte cross-entropy in nats over evenly spaced windows of `text`. */
  evalLoss(text, { windows } = {}) {
    return callAsync(() => this.#m.evalLoss(asBytes(text, "text"), windows));
  }
  /** Writes safetensors (F32 tensors; `__metadata__` holds format, model and config). */
  save(path) {
    return callAsync(() => this.#m.save(path));
  }
}

/** A glm sampling session (Model.startGeneration). */
export class Generation {
  #g;
  constructor(inner) {
    this.#g = inner;
  }
  /** Up to `n` more bytes; an empty Buffer once maxTokens were produced. One call at a time. */
  next(n = 1, { signal } = {}) {
    if (!(Number.isInteger(n) && n > 0 && n < 2 ** 32)) {
      return Promise.reject(new NativeError("INVALID_ARG", `Generation.next: n must be a positive integer, got ${n}`));
    }
    return callAsync(() => this.#g.next(n, signal));
  }
  /** Bytes produced so far. */
  get produced() {
    return this.#g.produced;
  }
  /** Whether maxTokens bytes were produced. */
  get done() {
    return this.#g.done;
  }
}

/** Loads a model written by Model.save; rejects with INVALID_ARG on a missing or corrupt file. */
export async function loadModel(path) {
  return new Model(await callAsync(() => binding.loadModel(path)));
}

export function modelFromBytes(bytes) {
  return new Model(call(() => binding.modelFromBytes(asBytes(bytes, "bytes"))));
}

/**
 * Starts a training run on a thread of its own. Bad input (shapes, NaN, unknown model,
 * a config too large to fit) throws a NativeError synchronously. `onStep` receives
 * per-step metrics (dropped, never queued without bound, if the listener lags).
 * `run.done` resolves to { summary, model }; `run.cancel()` (or `signal`) prunes the run,
 * which still resolves, with summary.cancelled = true.
 */
export function train({ model, config = {}, data, onStep, signal } = {}) {
  if (typeof model !== "string") throw new NativeError("INVALID_ARG", "train: `model` must be 'mlp' or 'glm'");
  if (!data || typeof data !== "object") throw new NativeError("INVALID_ARG", "train: `data` is required");
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new NativeError("INVALID_ARG", "train: `config` must be an object");
  }
  for (const key of ["rows", "valRows"]) {
    if (data[key] !== undefined && !(Number.isInteger(data[key]) && data[key] > 0 && data[key] < 2 ** 32)) {
      throw new NativeError("INVALID_ARG", `data.${key} must be a positive integer, got ${data[key]}`);
    }
  }
  const d = {
    x: asF32(data.x, "data.x"),
    y: asF32(data.y, "data.y"),
    rows: data.rows,
    valX: asF32(data.valX, "data.valX"),
    valY: asF32(data.valY, "data.valY"),
    valRows: data.valRows,
    text: asBytes(data.text, "data.text"),
    valText: asBytes(data.valText, "data.valText"),
  };
  let resolve;
  let reject;
  const done = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const step =
    typeof onStep === "function"
      ? (m) => {
          try {
            onStep(m);
          } catch (err) {
            // A throwing listener must not take the process down from a native callback.
            console.error("[autoglm-native] onStep threw:", err);
          }
        }
      : undefined;
  let handle;
  const onDone = (err, summary) => {
    if (signal) signal.removeEventListener("abort", abort);
    if (err) return reject(toNativeError(err));
    const m = handle?.takeModel();
    resolve({ summary, model: m ? new Model(m) : null });
  };
  const abort = () => handle?.cancel();
  handle = call(() => binding.startTrain(model, config, d, step, onDone));
  if (signal) {
    if (signal.aborted) handle.cancel();
    else signal.addEventListener("abort", abort, { once: true });
  }
  return {
    done,
    cancel: () => handle.cancel(),
    get isRunning() {
      return handle.isRunning;
    },
  };
}
