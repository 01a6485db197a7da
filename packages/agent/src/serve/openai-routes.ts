import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LanguageModel, TextResult } from "./language-model.js";
import { OpenAIError, parseChatRequest, parseCompletionRequest, type ParsedRequest } from "./openai-requests.js";

/**
 * The OpenAI-compatible routes of a replica (`/v1/completions`, `/v1/chat/completions`,
 * `/v1/models`), answered in OpenAI's shapes: `stream: true` as server-sent events ending
 * with `data: [DONE]`, errors as `{"error": {message, type, param, code}}`. A client that
 * disconnects stops its generation (no further `next()` on the sampler).
 */

export interface OpenAIContext {
  /** Null for a tabular model: its /v1 paths answer 404 naming the routes it does serve. */
  language: LanguageModel | null;
  endpoint: string;
  /** Header name/value pairs every answer carries (the model's name and version). */
  identity: string[];
  /** `created` of the model object (seconds): when this replica loaded it. */
  created: number;
  /** The body as text, or null after `onTooLarge` answered 413. */
  readBody(req: IncomingMessage, onTooLarge: () => void): Promise<string | null>;
}

type Kind = "completion" | "chat";

/** Answers one request under /v1; never rejects (errors are answered in OpenAI's shape). */
export async function openaiRoute(ctx: OpenAIContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  try {
    await dispatch(ctx, req, res, path);
  } catch (err) {
    const e = err instanceof OpenAIError ? err : new OpenAIError(500, `generation failed: ${(err as Error).message}`);
    if (!res.headersSent) {
      res.writeHead(e.status, [...ctx.identity, "content-type", "application/json"]);
      res.end(e.body());
    } else if (!res.writableEnded) {
      // Mid-stream: the error as one more event, then the end of the stream.
      res.end(`data: ${e.body()}\n\n`);
    }
  }
}

async function dispatch(ctx: OpenAIContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? "GET";
  const language = ctx.language;
  if (!language)
    throw new OpenAIError(
      404,
      `"${ctx.endpoint}" serves a tabular model, not a language model: use POST /invocations (MLflow) or POST /v2/models/${ctx.endpoint}/infer (KServe v2)`,
    );
  const isGet = method === "GET" || method === "HEAD";
  if (path === "/v1/models") {
    if (!isGet) throw new OpenAIError(405, "use GET /v1/models");
    return json(ctx, res, { object: "list", data: [modelObject(ctx)] });
  }
  if (path.startsWith("/v1/models/")) {
    const id = safeDecode(path.slice("/v1/models/".length));
    if (id !== ctx.endpoint)
      throw new OpenAIError(
        404,
        `The model \`${id}\` does not exist; this endpoint serves "${ctx.endpoint}"`,
        "model",
        "model_not_found",
      );
    return json(ctx, res, modelObject(ctx));
  }
  const kind: Kind | null = path === "/v1/completions" ? "completion" : path === "/v1/chat/completions" ? "chat" : null;
  if (kind === null)
    throw new OpenAIError(
      404,
      `no route ${method} ${path}; this endpoint serves /v1/completions, /v1/chat/completions and /v1/models`,
    );
  if (method !== "POST") throw new OpenAIError(405, `use POST ${path}`);
  let tooLarge = false;
  const text = await ctx.readBody(req, () => (tooLarge = true));
  if (text === null || tooLarge) throw new OpenAIError(413, "the body is over 10 MB");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new OpenAIError(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = kind === "chat" ? parseChatRequest(body, ctx.endpoint) : parseCompletionRequest(body, ctx.endpoint);
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  await (parsed.stream
    ? stream(ctx, language, res, kind, parsed, abort.signal)
    : answer(ctx, language, res, kind, parsed, abort.signal));
}

function modelObject(ctx: OpenAIContext) {
  return { id: ctx.endpoint, object: "model", created: ctx.created, owned_by: "autoglm" };
}

function json(ctx: OpenAIContext, res: ServerResponse, body: unknown): void {
  res.writeHead(200, [...ctx.identity, "content-type", "application/json"]);
  res.end(JSON.stringify(body));
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Choice i of a request: prompt ⌊i / n⌋, seed + i. */
function choices(p: ParsedRequest): Array<{ index: number; prompt: Uint8Array; seed: number }> {
  return p.prompts.flatMap((prompt, pi) =>
    Array.from({ length: p.n }, (_, j) => ({ index: pi * p.n + j, prompt, seed: (p.seed + pi * p.n + j) % 2 ** 32 })),
  );
}

function usageOf(p: ParsedRequest, results: TextResult[]) {
  const prompt = p.prompts.reduce((s, b) => s + b.length, 0);
  const completion = results.reduce((s, r) => s + r.completionTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function envelope(ctx: OpenAIContext, kind: Kind, streaming: boolean) {
  const object = kind === "chat" ? (streaming ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  return {
    id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replace(/-/g, "")}`,
    object,
    created: Math.floor(Date.now() / 1000),
    model: ctx.endpoint,
  };
}

async function answer(
  ctx: OpenAIContext,
  lm: LanguageModel,
  res: ServerResponse,
  kind: Kind,
  p: ParsedRequest,
  signal: AbortSignal,
): Promise<void> {
  const all = choices(p);
  // Choices run one after another: each already keeps a core busy, and the gateway spreads requests.
  const results: TextResult[] = [];
  for (const c of all) results.push(await lm.complete({ ...p.sampling, prompt: c.prompt, seed: c.seed }, { signal }));
  const out = results.map((r, index) =>
    kind === "chat"
      ? { index, message: { role: "assistant", content: r.text, refusal: null }, logprobs: null, finish_reason: r.finishReason }
      : { text: r.text, index, logprobs: null, finish_reason: r.finishReason },
  );
  json(ctx, res, { ...envelope(ctx, kind, false), choices: out, usage: usageOf(p, results) });
}

/**
 * The `data: {…}\n\n` events of one streamed answer. The envelope (id, object, created, model)
 * is serialized once per answer and each event serializes only its choice, keeping OpenAI's key
 * order: id, object, created, model, choices, then `usage: null` when usage was asked for.
 */
function chunkFramer(head: ReturnType<typeof envelope>, includeUsage: boolean): (choice: object) => string {
  const prefix = `data: ${JSON.stringify(head).slice(0, -1)},"choices":[`;
  const suffix = includeUsage ? '],"usage":null}\n\n' : "]}\n\n";
  return (choice) => prefix + JSON.stringify(choice) + suffix;
}

async function stream(
  ctx: OpenAIContext,
  lm: LanguageModel,
  res: ServerResponse,
  kind: Kind,
  p: ParsedRequest,
  signal: AbortSignal,
): Promise<void> {
  const head = envelope(ctx, kind, true);
  const frame = chunkFramer(head, p.includeUsage);
  res.writeHead(200, [...ctx.identity, "content-type", "text/event-stream; charset=utf-8", "cache-control", "no-cache"]);
  const delta = (index: number, text: string, finish: string | null, first = false) =>
    frame(
      kind === "chat"
        ? {
            index,
            delta: finish !== null ? {} : first ? { role: "assistant", content: text } : { content: text },
            logprobs: null,
            finish_reason: finish,
          }
        : { text, index, logprobs: null, finish_reason: finish },
    );
  const results: TextResult[] = [];
  // Events that end a choice wait for the next write: the last one rides with `[DONE]` in one write.
  let pending = "";
  for (const c of choices(p)) {
    if (kind === "chat") {
      // The role event goes out at once (it also sends the headers), before the first byte is sampled.
      res.write(pending + delta(c.index, "", null, true));
      pending = "";
    }
    const r = await lm.complete(
      { ...p.sampling, prompt: c.prompt, seed: c.seed },
      {
        signal,
        onText: (t) => {
          res.write(pending + delta(c.index, t, null));
          pending = "";
        },
      },
    );
    pending += delta(c.index, "", r.finishReason);
    results.push(r);
  }
  if (p.includeUsage) pending += `data: ${JSON.stringify({ ...head, choices: [], usage: usageOf(p, results) })}\n\n`;
  res.end(`${pending}data: [DONE]\n\n`);
}
