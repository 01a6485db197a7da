// Types of the hand-written facade (index.js). The generated loader's own types are in
// binding.d.ts; consumers import only from "@autoglm/native".

export type NativeErrorCode = "INVALID_ARG" | "TOO_LARGE" | "NATIVE_FAILURE" | "NOT_BUILT";

export declare class NativeError extends Error {
  constructor(code: NativeErrorCode, message: string, options?: { cause?: unknown; userMessage?: string });
  readonly name: "NativeError";
  readonly code: NativeErrorCode;
  readonly userMessage: string;
  /** INVALID_ARG and TOO_LARGE: the caller's input is at fault. */
  readonly isCallerFault: boolean;
}

export declare function toNativeError(err: unknown): NativeError;

export interface DeviceInfo {
  kind: "cpu" | "cuda" | string;
  index: number;
  name: string;
  threads?: number;
  simd?: string;
  memoryBytes?: number;
  computeCapability?: string;
}

export interface DevicesReport {
  /** Backend chosen after AUTOGLM_DEVICE and the CUDA probe. */
  selected: "cpu" | "cuda" | string;
  /** Backend that training runs on in this build. */
  training: "cpu" | "cuda" | string;
  devices: DeviceInfo[];
  cuda: { driver: boolean; nvrtc: boolean; cublasLt: boolean; error?: string };
}

export declare function devices(): DevicesReport;

export interface KernelCheck {
  kernel: string;
  device: string;
  maxRelErr: number;
  checked: number;
}

export declare function kernelNames(): string[];
export declare function gradCheck(kernel: string, seed?: number): KernelCheck;
export declare function cudaCompare(kernel: string): Promise<KernelCheck>;
/** NVRTC-only compile of the CUDA kernels (no GPU needed); returns the PTX size in bytes. */
export declare function cudaCompileCheck(arch?: string, headSize?: number): number;

export interface GemmBench {
  n: number;
  device: string;
  threads: number;
  seconds: number;
  gflops: number;
}
export declare function benchGemm(options?: {
  n?: number;
  threads?: number;
  iters?: number;
  device?: "cpu" | "cuda";
}): Promise<GemmBench>;

export type Activation = "relu" | "gelu" | "tanh";

/** Hyperparameters shared by both families (all optional). */
export interface TrainOptions {
  lr?: number;
  weightDecay?: number;
  batchSize?: number;
  seed?: number;
  beta1?: number;
  beta2?: number;
  /** Report every n steps (default 1). */
  logEvery?: number;
}

export interface MlpConfig extends TrainOptions {
  task: "classification" | "regression";
  /** Hidden layers (0 = linear). Default 2. */
  layers?: number;
  width?: number;
  activation?: Activation;
  dropout?: number;
  epochs?: number;
  inputs?: number;
  outputs?: number;
}

export interface GlmConfig extends TrainOptions {
  layers?: number;
  heads?: number;
  width?: number;
  context?: number;
  dropout?: number;
  /** Optimizer steps (default 200). */
  steps?: number;
  warmup?: number;
  /** Final lr of the cosine schedule as a fraction of lr (default 0.1). */
  minLrRatio?: number;
  gradClip?: number;
  /** Evaluate valText every n steps (and at the end). */
  evalEvery?: number;
  evalWindows?: number;
}

export interface TabularData {
  x: Float32Array | number[];
  y: Float32Array | number[];
  rows: number;
  valX?: Float32Array | number[];
  valY?: Float32Array | number[];
  valRows?: number;
}

export interface TextData {
  text: Uint8Array | string;
  valText?: Uint8Array | string;
}

export interface StepMetrics {
  step: number;
  epoch?: number;
  loss: number;
  lr: number;
  gradNorm?: number;
  valLoss?: number;
  valAccuracy?: number;
  elapsedMs: number;
  /** samples/s (mlp) or tokens/s (glm) */
  itemsPerSec: number;
}

export interface TrainSummary {
  model: "mlp" | "glm" | string;
  device: string;
  steps: number;
  epochs?: number;
  finalLoss: number;
  valLoss?: number;
  valAccuracy?: number;
  cancelled: boolean;
  elapsedMs: number;
  itemsPerSec: number;
  paramCount: number;
}

export interface TrainRun {
  done: Promise<{ summary: TrainSummary; model: Model | null }>;
  cancel(): void;
  readonly isRunning: boolean;
}

export type TrainRequest =
  | { model: "mlp"; config: MlpConfig; data: TabularData; onStep?: (m: StepMetrics) => void; signal?: AbortSignal }
  | { model: "glm"; config?: GlmConfig; data: TextData; onStep?: (m: StepMetrics) => void; signal?: AbortSignal };

/** Throws NativeError synchronously on bad input; see README. */
export declare function train(request: TrainRequest): TrainRun;

export interface GenerateOptions {
  maxTokens?: number;
  /** 0 = greedy. Default 1. */
  temperature?: number;
  /** 0 = no top-k cut. */
  topK?: number;
  /** Nucleus sampling after the top-k cut: the most probable bytes whose probabilities sum to at least topP. In (0, 1]; default 1 (no cut). */
  topP?: number;
  seed?: number;
  signal?: AbortSignal;
}

/** A glm sampling session: one KV cache and RNG continued by each `next`. */
export declare class Generation {
  private constructor();
  /** Up to `n` (default 1) more bytes; an empty Buffer once `maxTokens` were produced. A second call before one settles rejects with INVALID_ARG. */
  next(n?: number, options?: { signal?: AbortSignal }): Promise<Buffer>;
  readonly produced: number;
  readonly done: boolean;
}

export declare class Model {
  private constructor();
  readonly kind: "mlp" | "glm" | string;
  readonly config: Record<string, unknown>;
  readonly paramCount: number;
  predict(x: Float32Array | number[], rows: number, options?: { signal?: AbortSignal }): Promise<Float32Array>;
  predictClasses(x: Float32Array | number[], rows: number, options?: { signal?: AbortSignal }): Promise<Int32Array>;
  generate(prompt: string | Uint8Array, options?: GenerateOptions): Promise<Buffer>;
  /** A batch: sequences sampled in parallel, prompt i with seed + i. */
  generate(prompts: Array<string | Uint8Array>, options?: GenerateOptions): Promise<Buffer[]>;
  /** glm: a streaming session; the same seed and options give the same bytes as `generate`. */
  startGeneration(prompt: string | Uint8Array, options?: Omit<GenerateOptions, "signal">): Generation;
  evalLoss(text: string | Uint8Array, options?: { windows?: number }): Promise<number>;
  save(path: string): Promise<void>;
}

export declare function loadModel(path: string): Promise<Model>;
export declare function modelFromBytes(bytes: Uint8Array): Model;
