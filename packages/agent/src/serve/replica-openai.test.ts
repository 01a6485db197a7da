import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadModel, train, type Model } from "@autoglm/native";
import { loadShakespeare } from "@autoglm/native/data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, waitFor } from "../testing/harness.js";
import { callReplica, startTestReplica, writeDigitsMlp } from "../testing/serve-fixtures.js";
import { nativeLanguageModel, nextStepBytes, SamplingPace, stepCap, StopScanner } from "./language-model.js";
import type { ReplicaProcess } from "./replica-process.js";

/**
 * A glm language model (trained here for a few steps: the checks compare the replica with the
 * same weights in-process, not sample quality) served by the replica child over real HTTP:
 * the OpenAI routes, their streams, their errors, and the tabular routes refusing it.
 */

let dir: string;
let model: Model;
let replica: ReplicaProcess;
let url: string;
const secret = randomBytes(24).toString("hex");
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-replica-lm-"));
  const trained = await train({
    model: "glm",
    config: { layers: 1, heads: 2, width: 32, context: 32, steps: 30, batchSize: 4, seed: 2 },
    data: { text: loadShakespeare().subarray(0, 50_000) },
  }).done;
  await trained.model!.save(path.join(dir, "model.safetensors"));
  writeFileSync(
    path.join(dir, "builtin.json"),
    JSON.stringify({ trainer: "glm", dataset: "shakespeare", kind: "lm", config: trained.model!.config }),
  );
  model = await loadModel(path.join(dir, "model.safetensors"));
  const ready: string[] = [];
  replica = startTestReplica(dir, { secret, flavor: "builtin-glm", onReady: (u) => ready.push(u), onFailed: () => {} });
  url = await waitFor(() => ready[0], 30_000, "replica ready");
});

afterAll(async () => {
  await replica?.stop(1_000);
  if (dir) cleanup(dir);
});

const post = (p: string, body: unknown) => callReplica(url + p, secret, { body: JSON.stringify(body) });

/** The server-sent events of a streamed answer, parsed, and whether it ended with `data: [DONE]`. */
async function events(
  p: string,
  body: Record<string, unknown>,
): Promise<{ chunks: Array<Record<string, any>>; done: boolean; type: string | null }> {
  const r = await callReplica(url + p, secret, { body: JSON.stringify({ ...body, stream: true }) });
  expect(r.status, r.text.slice(0, 200)).toBe(200);
  const datas = r.text
    .split("\n\n")
    .filter((e) => e.length > 0)
    .map((e) => {
      expect(e.startsWith("data: ")).toBe(true);
      return e.slice("data: ".length);
    });
  const done = datas.at(-1) === "[DONE]";
  return { chunks: datas.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d)), done, type: r.headers.get("content-type") };
}

describe("OpenAI routes of a glm replica", () => {
  it("lists the endpoint as the one model", async () => {
    const r = await callReplica(`${url}/v1/models`, secret);
    expect(r.json).toEqual({
      object: "list",
      data: [{ id: "digits", object: "model", created: expect.any(Number), owned_by: "autoglm" }],
    });
    expect(r.headers.get("x-autoglm-model-version")).toBe("3");
    expect((await callReplica(`${url}/v1/models/digits`, secret)).json).toMatchObject({ id: "digits", object: "model" });
    expect((await callReplica(`${url}/v1/models/other`, secret)).status).toBe(404);
  });

  it("completes with the bytes the same weights sample in-process for the same seed and options", async () => {
    const opts = { temperature: 0.9, top_k: 40, top_p: 0.9, seed: 17, max_tokens: 50 };
    const r = await post("/v1/completions", { model: "digits", prompt: "ROMEO.\n", ...opts });
    expect(r.status, r.text).toBe(200);
    const want = await model.generate("ROMEO.\n", { maxTokens: 50, temperature: 0.9, topK: 40, topP: 0.9, seed: 17 });
    expect(r.json).toMatchObject({
      object: "text_completion",
      model: "digits",
      choices: [{ index: 0, text: decode(want), logprobs: null, finish_reason: "length" }],
      usage: { prompt_tokens: 7, completion_tokens: 50, total_tokens: 57 },
    });
    expect(r.json.id).toMatch(/^cmpl-/);
    const again = await post("/v1/completions", { prompt: "ROMEO.\n", ...opts });
    expect((again.json.choices as any)[0].text).toBe(decode(want));
    // n = 2: choice i uses seed + i, as a batch `generate` does.
    const two = await post("/v1/completions", { prompt: "ROMEO.\n", ...opts, n: 2 });
    const batch = await model.generate(["ROMEO.\n", "ROMEO.\n"], {
      maxTokens: 50,
      temperature: 0.9,
      topK: 40,
      topP: 0.9,
      seed: 17,
    });
    expect((two.json.choices as any[]).map((c) => c.text)).toEqual(batch.map(decode));
  });

  it("stops before the first stop sequence (finish_reason stop), else at max_tokens (length)", async () => {
    const greedy = decode(await model.generate("KING ", { maxTokens: 60, temperature: 0 }));
    const stop = greedy.slice(20, 22);
    const cut = greedy.indexOf(stop);
    const r = await post("/v1/completions", { prompt: "KING ", temperature: 0, max_tokens: 60, stop: ["\u0000never", stop] });
    expect((r.json.choices as any)[0]).toMatchObject({ text: greedy.slice(0, cut), finish_reason: "stop" });
    expect((r.json.usage as any).completion_tokens).toBe(Buffer.byteLength(greedy.slice(0, cut + stop.length)));
    const short = await post("/v1/completions", { prompt: "KING ", temperature: 0, max_tokens: 5, stop: "\u0000never" });
    expect((short.json.choices as any)[0]).toMatchObject({ text: greedy.slice(0, 5), finish_reason: "length" });
  });

  it("streams completions and chat as server-sent events in OpenAI's chunk shapes, ending with [DONE]", async () => {
    const body = { prompt: "To be", seed: 5, max_tokens: 40, temperature: 1 };
    const whole = (await post("/v1/completions", body)).json as any;
    const s = await events("/v1/completions", { ...body, stream_options: { include_usage: true } });
    expect([s.done, s.type]).toEqual([true, "text/event-stream; charset=utf-8"]);
    const usage = s.chunks.pop()!;
    expect(usage).toMatchObject({ object: "text_completion", choices: [], usage: whole.usage });
    expect(s.chunks.every((c) => c.object === "text_completion" && c.id === s.chunks[0]!.id && c.usage === null)).toBe(true);
    expect(s.chunks.map((c) => c.choices[0].text).join("")).toBe(whole.choices[0].text);
    expect(s.chunks.at(-1)!.choices[0]).toEqual({ text: "", index: 0, logprobs: null, finish_reason: "length" });

    const chat = { model: "digits", messages: [{ role: "user", content: "Hello" }], seed: 9, max_tokens: 30 };
    const c = (await post("/v1/chat/completions", chat)).json as any;
    const direct = await model.generate("user: Hello\nassistant: ", { maxTokens: 30, seed: 9 });
    expect(c).toMatchObject({
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: decode(direct) }, finish_reason: "length" }],
      usage: { prompt_tokens: 23, completion_tokens: 30 },
    });
    const cs = await events("/v1/chat/completions", chat);
    expect(cs.done).toBe(true);
    expect(cs.chunks[0]!.choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(cs.chunks.every((k) => k.object === "chat.completion.chunk" && k.model === "digits")).toBe(true);
    expect(cs.chunks.map((k) => k.choices[0].delta.content ?? "").join("")).toBe(c.choices[0].message.content);
    expect(cs.chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "length" });
  });

  it("answers bad requests 4xx in OpenAI's error shape and keeps serving", async () => {
    const cases: Array<[string, unknown, number, RegExp, string | null]> = [
      ["/v1/completions", { model: "gpt-4", prompt: "x" }, 404, /`gpt-4` does not exist/, "model"],
      ["/v1/completions", { prompt: "x", max_tokens: 0 }, 400, /^max_tokens: /, "max_tokens"],
      ["/v1/completions", { prompt: "x", max_tokens: 4097 }, 400, /^max_tokens: .*4096/, "max_tokens"],
      ["/v1/completions", { prompt: "x", temperature: -1 }, 400, /^temperature: /, "temperature"],
      ["/v1/completions", { prompt: "x", top_p: 1.5 }, 400, /^top_p: /, "top_p"],
      ["/v1/completions", { prompt: "x", stop: ["a", "b", "c", "d", "e"] }, 400, /^stop: .*at most 4/, "stop"],
      ["/v1/completions", { prompt: "x", n: 9 }, 400, /^n: /, "n"],
      ["/v1/completions", { prompt: ["a", "b", "c"], n: 3 }, 400, /more than 8 choices/, "n"],
      ["/v1/completions", { prompt: [{}] }, 400, /^prompt: must be a string/, "prompt"],
      ["/v1/completions", {}, 400, /^prompt: /, "prompt"],
      ["/v1/completions", { prompt: "x", logprobs: 2 }, 400, /logprobs is not supported/, "logprobs"],
      ["/v1/chat/completions", { messages: [] }, 400, /^messages: /, "messages"],
      ["/v1/chat/completions", { messages: [{ role: "tool", content: "x" }] }, 400, /^messages\.0\.role: /, "messages.0.role"],
      ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }], tools: [{}] }, 400, /tools is not/, "tools"],
    ];
    for (const [p, body, status, message, param] of cases) {
      const r = await post(p, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(Object.keys(r.json)).toEqual(["error"]);
      const e = r.json.error as Record<string, unknown>;
      expect(e.message, JSON.stringify(body)).toMatch(message);
      expect([e.type, e.param]).toEqual(["invalid_request_error", param]);
    }
    expect((await post("/v1/completions", { prompt: "x", model: "gpt-4" })).json.error).toMatchObject({
      code: "model_not_found",
    });
    const bad = await callReplica(`${url}/v1/completions`, secret, { body: "{" });
    expect([bad.status, (bad.json.error as any).message]).toEqual([400, expect.stringMatching(/not valid JSON/)]);
    expect((await callReplica(`${url}/v1/completions`, secret)).status).toBe(405);
    expect((await callReplica(`${url}/v1/embeddings`, secret, { body: "{}" })).status).toBe(404);
    const noAuth = await fetch(`${url}/v1/completions`, { method: "POST", body: JSON.stringify({ prompt: "x" }) });
    expect([noAuth.status, ((await noAuth.json()) as any).error.type]).toEqual([401, "invalid_request_error"]);
    expect((await post("/v1/completions", { prompt: "x", max_tokens: 3 })).status).toBe(200);
  });

  it("answers the MLflow and KServe model routes 404 pointing at /v1, health still 200", async () => {
    const inv = await post("/invocations", { inputs: [[1, 2]] });
    expect([inv.status, inv.json.error_code, inv.json.message]).toEqual([
      404,
      "RESOURCE_DOES_NOT_EXIST",
      expect.stringMatching(/POST \/v1\/completions/),
    ]);
    const inf = await post("/v2/models/digits/infer", { inputs: [] });
    expect([inf.status, inf.json.error]).toEqual([404, expect.stringMatching(/language model: use the OpenAI routes/)]);
    expect((await callReplica(`${url}/v2/models/digits`, secret)).status).toBe(404);
    expect((await callReplica(`${url}/ping`, secret)).status).toBe(200);
  });
});

describe("sampling text from the native glm", () => {
  it("stops calling the sampler once its signal aborts", async () => {
    const lm = nativeLanguageModel(model);
    const abort = new AbortController();
    let seen = "";
    const req = { prompt: Buffer.from("A"), maxTokens: 4096, temperature: 1, topK: 0, topP: 1, seed: 1, stop: [] };
    const done = lm.complete(req, {
      signal: abort.signal,
      onText: (t) => {
        seen += t;
        abort.abort();
      },
    });
    await expect(done).rejects.toThrow(/abort/i);
    expect(Buffer.byteLength(seen)).toBeLessThan(4096);
  });

  it("streams the same text as generate in few steps: the prefill does not shrink the second, a short tail joins the last", async () => {
    // The bench's glm: a 1-byte first step of 0.7 ms over a 7-byte prompt is 8 positions at
    // ~0.09 ms, so the rest of a 256-byte answer fits one 20 ms step; a 27-byte tail would be a third.
    expect(nextStepBytes(new SamplingPace().after(0.7, 1, 7), 255)).toBe(255);
    expect(nextStepBytes(0.08, 1000)).toBe(250);
    expect(nextStepBytes(0.08, 300)).toBe(300);
    // A lone answer without stop sequences: only the time target sizes its steps, so the rest of
    // a 1,024-byte answer is 2 steps, not 4.
    expect([nextStepBytes(0.04, 1023, stepCap(0, 1)), nextStepBytes(0.04, 523, stepCap(0, 1))]).toEqual([500, 523]);
    // With a stop sequence, or beside other answers, a step stays within 256 bytes.
    expect([nextStepBytes(0.04, 1023, stepCap(1, 1)), nextStepBytes(0.04, 1023, stepCap(0, 2))]).toEqual([256, 256]);
    // A slow model keeps ~20 ms steps, so its stream still moves.
    expect(nextStepBytes(new SamplingPace().after(10, 1, 0), 1000)).toBe(2);
    const lm = nativeLanguageModel(model);
    const deltas: string[] = [];
    const req = { prompt: Buffer.from("ROMEO.\n"), maxTokens: 256, temperature: 0.9, topK: 0, topP: 1, seed: 7, stop: [] };
    const r = await lm.complete(req, { signal: new AbortController().signal, onText: (t) => deltas.push(t) });
    const want = decode(await model.generate("ROMEO.\n", { maxTokens: 256, temperature: 0.9, seed: 7 }));
    expect([deltas.join(""), r.text, r.finishReason, r.completionTokens]).toEqual([want, want, "length", 256]);
    // Steps past 256 bytes sample the same bytes as one call.
    const long = { ...req, maxTokens: 1024 };
    const longText = await lm.complete(long, { signal: new AbortController().signal });
    const wantLong = decode(await model.generate("ROMEO.\n", { maxTokens: 1024, temperature: 0.9, seed: 7 }));
    expect([longText.text, longText.completionTokens]).toEqual([wantLong, 1024]);
  });

  it("sizes steps by the model's fastest sampling, not by a step slowed by other streams", () => {
    const pace = new SamplingPace();
    expect(pace.after(8, 100, 0)).toBe(0.08);
    // The same 100 bytes while 3 other streams shared the core: 4× the clock time.
    expect(nextStepBytes(pace.after(32, 100, 0), 1000)).toBe(250);
    // A prefill's positions are cheap: they size their own answer's next step, never the pace.
    expect(pace.after(0.4, 1, 63)).toBe(0.00625);
    expect(pace.after(40, 100, 0)).toBe(0.08);
  });

  it("decodes UTF-8 split across steps and holds back a stop sequence's possible start", () => {
    const s = new StopScanner([Buffer.from("END")]);
    const e = Buffer.from("é");
    // Two bytes are held back (a 3-byte stop could start there); "é" is two bytes split across pushes.
    expect(s.push(Buffer.from([0x61, e[0]!]))).toBe("");
    expect(s.push(Buffer.from([e[1]!, 0x45]))).toBe("a");
    expect(s.push(Buffer.from("N"))).toBe("é");
    expect(s.push(Buffer.from("Dxyz"))).toBe("");
    expect([s.stopped, s.sampledBytes, s.finish()]).toEqual([true, 6, ""]);
    const open = new StopScanner([]);
    expect(open.push(Buffer.from([0x62, 0xe2, 0x82]))).toBe("b");
    expect([open.finish(), open.stopped, open.sampledBytes]).toEqual(["\uFFFD", false, 3]);
  });
});

it("answers /v1 on a tabular replica 404 in OpenAI's shape, naming its routes", async () => {
  const mlpDir = mkdtempSync(path.join(tmpdir(), "autoglm-replica-mlp-"));
  try {
    await writeDigitsMlp(mlpDir);
    const ready: string[] = [];
    const p = startTestReplica(mlpDir, { secret, onReady: (u) => ready.push(u), onFailed: () => {} });
    const base = await waitFor(() => ready[0], 30_000, "ready");
    const r = await callReplica(`${base}/v1/completions`, secret, { body: JSON.stringify({ prompt: "x" }) });
    expect([r.status, (r.json.error as any).message]).toEqual([404, expect.stringMatching(/tabular model.*\/invocations/)]);
    await p.stop(1_000);
  } finally {
    cleanup(mlpDir);
  }
});
