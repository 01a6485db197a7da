import { randomInt } from "node:crypto";
import { z } from "zod";
import type { TextRequest } from "./language-model.js";

/**
 * The OpenAI-compatible request bodies a language-model replica accepts (`/v1/completions`,
 * `/v1/chat/completions`), parsed into byte-level sampling requests. Tokens are bytes.
 */

/** `max_tokens` when the body gives none: a few lines of text from a byte-level model. */
export const DEFAULT_MAX_TOKENS = 256;
/** The most bytes one choice may ask for: at the glm's CPU speed (~10⁴ bytes/s) a few seconds of work. */
export const MAX_MAX_TOKENS = 4096;
/** Choices per request (prompts × n): each is a sequential sampler, so this bounds one request's work to 8 × MAX_MAX_TOKENS. */
export const MAX_CHOICES = 8;
/** OpenAI's own limit on stop sequences. */
const MAX_STOPS = 4;

/** An answer in OpenAI's error shape `{"error": {message, type, param, code}}`. */
export class OpenAIError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  get type(): string {
    return this.status >= 500 ? "server_error" : "invalid_request_error";
  }

  body(): string {
    return JSON.stringify({ error: { message: this.message, type: this.type, param: this.param, code: this.code } });
  }
}

const nullish = <T extends z.ZodTypeAny>(t: T) => t.nullish();

const ZSampling = z.object({
  model: z.string().optional(),
  max_tokens: nullish(z.number().int().min(1).max(MAX_MAX_TOKENS)),
  max_completion_tokens: nullish(z.number().int().min(1).max(MAX_MAX_TOKENS)),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().min(0).max(1)),
  /** An extension (not in OpenAI's API): keep the k most probable bytes. */
  top_k: nullish(z.number().int().min(0).max(256)),
  n: nullish(z.number().int().min(1).max(MAX_CHOICES)),
  stop: nullish(
    z.union([z.string().min(1), z.array(z.string().min(1)).max(MAX_STOPS)], {
      errorMap: () => ({ message: `must be a non-empty string or an array of at most ${MAX_STOPS} non-empty strings` }),
    }),
  ),
  seed: nullish(z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER)),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.object({ include_usage: z.boolean().optional() })),
  user: z.string().optional(),
});

const ZCompletionBody = ZSampling.extend({
  prompt: z.union([z.string(), z.array(z.string()).min(1).max(MAX_CHOICES), z.array(z.number().int().min(0).max(255)).min(1)], {
    errorMap: () => ({ message: `must be a string, an array of 1 to ${MAX_CHOICES} strings, or an array of byte values 0..255` }),
  }),
});

const ZContent = z.union([z.string(), z.array(z.object({ type: z.literal("text"), text: z.string() }))], {
  errorMap: () => ({ message: 'must be a string or an array of {"type": "text", "text": ...} parts' }),
});

const ZChatBody = ZSampling.extend({
  messages: z
    .array(
      z.object({ role: z.enum(["system", "developer", "user", "assistant"]), content: ZContent, name: z.string().optional() }),
    )
    .min(1),
});

/**
 * Fields whose non-default values ask for what a byte-level sampler cannot give: refused
 * rather than silently ignored, so a client never believes it got them.
 */
const UNSUPPORTED = [
  "logprobs",
  "top_logprobs",
  "echo",
  "suffix",
  "tools",
  "tool_choice",
  "functions",
  "function_call",
  "logit_bias",
  "frequency_penalty",
  "presence_penalty",
  "response_format",
] as const;

function isDefault(field: string, v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "none" || v === "auto") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (field === "response_format") return (v as { type?: unknown }).type === "text";
  return typeof v === "object" && Object.keys(v).length === 0;
}

/** The parts of a request every choice shares; choice i is sampled with seed + i. */
export interface ParsedRequest {
  prompts: Uint8Array[];
  n: number;
  sampling: Omit<TextRequest, "prompt" | "seed">;
  seed: number;
  stream: boolean;
  includeUsage: boolean;
}

function parse<T extends z.ZodTypeAny>(schema: T, body: unknown, endpoint: string): z.infer<T> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new OpenAIError(400, "the body must be a JSON object");
  const model = (body as { model?: unknown }).model;
  if (typeof model === "string" && model !== endpoint)
    throw new OpenAIError(
      404,
      `The model \`${model}\` does not exist or you do not have access to it; this endpoint serves "${endpoint}"`,
      "model",
      "model_not_found",
    );
  for (const field of UNSUPPORTED) {
    const v = (body as Record<string, unknown>)[field];
    if (!isDefault(field, v))
      throw new OpenAIError(400, `${field} is not supported by this model`, field, "unsupported_parameter");
  }
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.join(".");
  throw new OpenAIError(400, `${where || "body"}: ${issue.message}`, where || null, "invalid_value");
}

/** A seed as the sampler's u32: OpenAI's is any integer, so it is taken modulo 2³² (none: a random one). */
function seedOf(seed: number | null | undefined): number {
  if (seed === null || seed === undefined) return randomInt(0, 2 ** 32);
  return ((seed % 2 ** 32) + 2 ** 32) % 2 ** 32;
}

function common(b: z.infer<typeof ZSampling>, prompts: Uint8Array[]): ParsedRequest {
  const n = b.n ?? 1;
  if (prompts.length * n > MAX_CHOICES)
    throw new OpenAIError(400, `${prompts.length} prompts × n ${n} is more than ${MAX_CHOICES} choices`, "n", "invalid_value");
  const stops = b.stop === null || b.stop === undefined ? [] : typeof b.stop === "string" ? [b.stop] : b.stop;
  const topP = b.top_p ?? 1;
  return {
    prompts,
    n,
    sampling: {
      maxTokens: b.max_completion_tokens ?? b.max_tokens ?? DEFAULT_MAX_TOKENS,
      // top_p 0 keeps only the most probable byte: that is greedy decoding.
      temperature: topP === 0 ? 0 : (b.temperature ?? 1),
      topK: b.top_k ?? 0,
      topP: topP === 0 ? 1 : topP,
      stop: stops.map((s) => Buffer.from(s, "utf8")),
    },
    seed: seedOf(b.seed),
    stream: b.stream ?? false,
    includeUsage: b.stream_options?.include_usage ?? false,
  };
}

export function parseCompletionRequest(body: unknown, endpoint: string): ParsedRequest {
  const b = parse(ZCompletionBody, body, endpoint);
  const prompts =
    typeof b.prompt === "string"
      ? [Buffer.from(b.prompt, "utf8")]
      : typeof b.prompt[0] === "number"
        ? [Uint8Array.from(b.prompt as number[])]
        : (b.prompt as string[]).map((p) => Buffer.from(p, "utf8"));
  return common(b, prompts);
}

/**
 * The byte-level chat template: one `role: content` line per message, then `assistant: ` for
 * the model to continue (a glm trained on plain text has no special tokens to mark turns).
 */
export function chatPrompt(messages: Array<{ role: string; content: string | Array<{ text: string }> }>): string {
  const text = (c: string | Array<{ text: string }>) => (typeof c === "string" ? c : c.map((p) => p.text).join(""));
  return `${messages.map((m) => `${m.role}: ${text(m.content)}\n`).join("")}assistant: `;
}

export function parseChatRequest(body: unknown, endpoint: string): ParsedRequest {
  const b = parse(ZChatBody, body, endpoint);
  return common(b, [Buffer.from(chatPrompt(b.messages), "utf8")]);
}
