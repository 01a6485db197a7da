import type { IncomingMessage, ServerResponse } from "node:http";
import { InputError, type Batch } from "./batch.js";
import { parseMlflowCsv, parseMlflowJson } from "./mlflow-inputs.js";
import { bearerCheck } from "./replica-auth.js";
import { OpenAIError } from "./openai-requests.js";
import { openaiRoute, type OpenAIContext } from "./openai-routes.js";
import { LANGUAGE_MODEL_ROUTES, type ServedModel } from "./served-model.js";

/** The cap on one request body (the gateway applies the same before forwarding). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Past this many bytes of an over-long body the connection is cut instead of read to its end for a clean 413. */
const MAX_DISCARD_BYTES = 4 * MAX_BODY_BYTES;

export interface ReplicaIdentity {
  endpoint: string;
  model: string;
  version: number;
  /** The gateway's `Authorization: Bearer <secret>`; nobody else is answered. */
  secret: string;
}

/** What the process's lifecycle shares with the handler: drain refuses new requests, in-flight ones finish. */
export interface ReplicaState {
  draining: boolean;
  inFlight: number;
}

type Reply = (status: number, body: string, contentType?: string, extra?: string[]) => void;
type Fail = (status: number, message: string, extra?: string[]) => void;

/** MLflow's error codes by status (its scoring server's `error_code` vocabulary). */
const MLFLOW_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  404: "RESOURCE_DOES_NOT_EXIST",
  405: "BAD_REQUEST",
  413: "REQUEST_LIMIT_EXCEEDED",
  415: "BAD_REQUEST",
  500: "INTERNAL_ERROR",
  503: "TEMPORARILY_UNAVAILABLE",
};

/** The body as text, or null after a 413 was answered (over MAX_BODY_BYTES). */
function readBody(req: IncomingMessage, onTooLarge: () => void): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > MAX_BODY_BYTES;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      if (size > MAX_DISCARD_BYTES) req.socket.destroy();
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => {
      if (!tooLarge) return resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"));
      onTooLarge();
      resolve(null);
    });
    req.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The replica's request handler: the gateway's secret, then MLflow scoring and KServe v2 routes
 * (or, for a language model, the OpenAI routes of openai-routes.ts).
 * Bad input is a 4xx in the protocol's own error shape, never a crash; inference runs on the
 * addon's thread pool, off the event loop.
 */
export function createReplicaHandler(model: ServedModel, id: ReplicaIdentity, state: ReplicaState) {
  const identity = ["x-autoglm-model", id.model, "x-autoglm-model-version", String(id.version)];
  const isAuthorized = bearerCheck(id.secret);
  const ctx: RouteContext = { model, id, state, metadata: JSON.stringify(metadataOf(model, id)) };
  const openai: OpenAIContext = {
    language: model.language ?? null,
    endpoint: id.endpoint,
    identity,
    created: Math.floor(Date.now() / 1000),
    readBody,
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const path = url.split("?", 1)[0]!;
    const isKserve = url.startsWith("/v2");
    const isOpenAI = path === "/v1" || path.startsWith("/v1/");
    const reply: Reply = (status, body, contentType = "application/json", extra = []) => {
      res.writeHead(status, [...identity, "content-type", contentType, ...extra]);
      res.end(body);
    };
    const fail = (status: number, message: string, extra: string[] = []) =>
      reply(
        status,
        isOpenAI
          ? new OpenAIError(status, message).body()
          : JSON.stringify(isKserve ? { error: message } : { error_code: MLFLOW_CODES[status] ?? "BAD_REQUEST", message }),
        "application/json",
        extra,
      );
    if (!isAuthorized(req.headers.authorization))
      return fail(401, "missing or wrong Authorization: this replica answers only its gateway");
    if (state.draining) return fail(503, "the replica is stopping", ["retry-after", "1", "connection", "close"]);
    state.inFlight++;
    res.on("close", () => state.inFlight--);
    if (isOpenAI) return void openaiRoute(openai, req, res, path);
    route(ctx, req, path, reply, fail).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      if (err instanceof InputError) return fail(err.status, err.message);
      fail(500, `inference failed: ${(err as Error).message}`);
    });
  };
}

interface RouteContext {
  model: ServedModel;
  id: ReplicaIdentity;
  state: ReplicaState;
  metadata: string;
}

function metadataOf(model: ServedModel, id: ReplicaIdentity) {
  return {
    name: id.endpoint,
    versions: [String(id.version)],
    platform: model.platform,
    inputs: model.inputs,
    outputs: model.outputs,
  };
}

async function route(ctx: RouteContext, req: IncomingMessage, path: string, reply: Reply, fail: Fail): Promise<void> {
  const method = req.method ?? "GET";
  const modelPath = `/v2/models/${encodeURIComponent(ctx.id.endpoint)}`;
  const isGet = method === "GET" || method === "HEAD";
  if (ctx.model.language && (path === "/invocations" || path.startsWith("/v2/models/"))) return fail(404, LANGUAGE_MODEL_ROUTES);
  if (path === "/invocations") return method === "POST" ? invocations(ctx, req, reply, fail) : fail(405, "use POST /invocations");
  if (isGet && (path === "/ping" || path === "/health")) return reply(200, "\n", "text/plain");
  if (isGet && path === "/version") return reply(200, JSON.stringify({ model: ctx.id.model, version: ctx.id.version }));
  if (isGet && path === "/v2/health/live") return reply(200, JSON.stringify({ live: true }));
  if (isGet && (path === "/v2/health/ready" || path === `${modelPath}/ready`)) return reply(200, JSON.stringify({ ready: true }));
  if (isGet && path === "/v2") return reply(200, JSON.stringify({ name: "autoglm-replica", version: "0.1.0", extensions: [] }));
  if (isGet && (path === modelPath || path === `${modelPath}/versions/${ctx.id.version}`)) return reply(200, ctx.metadata);
  if (path === `${modelPath}/infer` || path === `${modelPath}/versions/${ctx.id.version}/infer`)
    return method === "POST" ? infer(ctx, req, reply, fail) : fail(405, `use POST ${path}`);
  if (path.startsWith("/v2/models/"))
    return fail(
      404,
      `model ${JSON.stringify(safeDecode(path.split("/")[3] ?? ""))} (or this version of it) is not served here; this replica serves ${JSON.stringify(ctx.id.endpoint)} version ${ctx.id.version}`,
    );
  fail(404, `no route ${method} ${path}`);
}

/** A path segment as text; one that is not valid percent-encoding is shown as sent. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function invocations(ctx: RouteContext, req: IncomingMessage, reply: Reply, fail: Fail): Promise<void> {
  const type = (req.headers["content-type"] ?? "application/json").split(";", 1)[0]!.trim().toLowerCase();
  if (type !== "application/json" && type !== "text/csv")
    return fail(415, `Content-Type ${JSON.stringify(type)} is not accepted; send application/json or text/csv`);
  const text = await readBody(req, () => fail(413, `the body is over ${MAX_BODY_BYTES} bytes`, ["connection", "close"]));
  if (text === null) return;
  const { mlflow } = ctx.model;
  if ("unavailable" in mlflow) throw new InputError(mlflow.unavailable);
  const batch: Batch = type === "text/csv" ? parseMlflowCsv(text, mlflow.width) : parseMlflowJson(parseJson(text), mlflow.width);
  reply(200, JSON.stringify({ predictions: await ctx.model.predict(batch) }));
}

async function infer(ctx: RouteContext, req: IncomingMessage, reply: Reply, fail: Fail): Promise<void> {
  const text = await readBody(req, () => fail(413, `the body is over ${MAX_BODY_BYTES} bytes`, ["connection", "close"]));
  if (text === null) return;
  const { id, outputs } = await ctx.model.infer(parseJson(text));
  reply(
    200,
    JSON.stringify({
      model_name: ctx.id.endpoint,
      model_version: String(ctx.id.version),
      ...(id !== undefined ? { id } : {}),
      outputs,
    }),
  );
}
