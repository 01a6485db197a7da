import { InputError, type Batch } from "./batch.js";
import type { LanguageModel } from "./language-model.js";

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
  /** Set for a language model: it serves the OpenAI routes under /v1 and neither MLflow nor KServe v2. */
  readonly language?: LanguageModel;
}

/** The tabular protocols' answer for a language model: a 404 naming the routes it serves. */
export const LANGUAGE_MODEL_ROUTES =
  "this endpoint serves a language model: use the OpenAI routes POST /v1/completions, POST /v1/chat/completions and GET /v1/models";

/** A language model as a ServedModel: warm-up samples one byte; the tabular entry points refuse. */
export function languageServedModel(lm: LanguageModel): ServedModel {
  const refuse = () => Promise.reject(new InputError(LANGUAGE_MODEL_ROUTES, 404));
  return {
    platform: "autoglm-builtin",
    mlflow: { unavailable: LANGUAGE_MODEL_ROUTES },
    inputs: [],
    outputs: [],
    language: lm,
    warmUp: async () =>
      void (await lm.complete(
        { prompt: new Uint8Array([10]), maxTokens: 1, temperature: 0, topK: 0, topP: 1, seed: 0, stop: [] },
        { signal: new AbortController().signal },
      )),
    predict: refuse,
    infer: refuse,
  };
}
