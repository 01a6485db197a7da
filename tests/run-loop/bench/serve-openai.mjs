// `pnpm bench:serve`'s third measure: the byte-level glm on the OpenAI
// route against the same generation in-process. The agent trains the builtin glm on shakespeare
// (the trainer's default shape: 2 layers, width 64, 4 heads, context 64; 60 steps: the weights'
// quality does not change the rate) and `deploy` serves it; then, at 1 stream and at 8 concurrent
// streams, `POST <endpoint>/v1/completions` with `stream: true` (max_tokens 256, temperature 0.9,
// a seed per stream) through the gateway and directly at the replica, timed from the request to
// `data: [DONE]`; and native/bench/generation-rate.mjs, on the replica's CPU, loads the same
// version's files (downloaded with the SDK) and calls `generate` with the same prompt and seeds.
// In-process and route rounds alternate, each after one untimed call; each figure is the median
// of its rounds, with the first stream's time to headers, first and last text, and end.
// Every stream must end with finish_reason "length" after max_tokens bytes and carry the same
// text as the in-process call with its seed.
import { mkdirSync } from "node:fs";
import path from "node:path";

const STUDY = `name: bench-serve-glm
objective: {metric: val_bpb, direction: minimize}
space:
  lr: {type: float, low: 0.003, high: 0.01, log: true}
sampler: {name: random, seed: 1}
budget: {max_trials: 1, max_parallel: 1}
run:
  builtin: {trainer: glm, dataset: shakespeare, steps: 60}
  resources: {gpus: 0}
  timeout_minutes: 5
`;
const PROMPT = "ROMEO.\n";
const MAX_TOKENS = 256;
const TEMPERATURE = 0.9;
const SEED = 7;
const STREAMS = 8;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * One streamed completion: its text, checked to end with finish_reason "length", and when (ms from
 * the request) its headers came, its first text arrived and its last text arrived.
 */
async function streamCompletion(url, headers, model, seed) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ model, prompt: PROMPT, max_tokens: MAX_TOKENS, temperature: TEMPERATURE, seed, stream: true }),
  });
  if (res.status !== 200) throw new Error(`/v1/completions: ${res.status} ${await res.text()}`);
  const at = { headersMs: performance.now() - t0, firstTextMs: null, lastTextMs: null };
  let text = "";
  let finish = null;
  let done = false;
  let pending = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    pending += decoder.decode(chunk, { stream: true });
    let cut;
    while ((cut = pending.indexOf("\n\n")) >= 0) {
      const event = pending.slice(0, cut);
      pending = pending.slice(cut + 2);
      const data = event.replace(/^data: /, "");
      if (data === "[DONE]") done = true;
      else {
        const choice = JSON.parse(data).choices[0];
        if (choice.text) at.lastTextMs = performance.now() - t0;
        at.firstTextMs ??= at.lastTextMs;
        text += choice.text ?? "";
        finish = choice.finish_reason ?? finish;
      }
    }
  }
  if (!done || finish !== "length") throw new Error(`a stream ended without [DONE] after finish_reason "length" (${finish})`);
  return { text, ...at, totalMs: performance.now() - t0 };
}

/** Tokens/s of `n` concurrent streams (seeds SEED…SEED+n-1), their texts in seed order and the first stream's timings. */
async function routeRound(url, headers, model, n) {
  // One untimed stream first, as generation-rate.mjs warms up with one `generate`: the in-process
  // round between two route rounds takes over a second, past the gateway's 1 s memo of a granted
  // key and its 250 ms cache of ready replicas, so without it every timed round would measure the
  // key's SQL check and the replica lookup (+5.6 ms to the first byte at 1 stream, PGlite, load 8)
  // instead of streaming as a client that keeps calling the endpoint sees it.
  await streamCompletion(url, headers, model, SEED);
  const t0 = performance.now();
  const streams = await Promise.all(Array.from({ length: n }, (_, i) => streamCompletion(url, headers, model, SEED + i)));
  const { text: _, ...timing } = streams[0];
  return { tokensPerS: (n * MAX_TOKENS) / ((performance.now() - t0) / 1000), texts: streams.map((s) => s.text), timing };
}

/** native/bench/generation-rate.mjs on the CPU under test: one round of the same generation, in-process. */
function inProcessRound({ spawnUnderTest, root }, file, n) {
  const opts = { prompt: PROMPT, maxTokens: MAX_TOKENS, temperature: TEMPERATURE, seed: SEED, streams: n };
  const child = spawnUnderTest(
    process.execPath,
    [path.join(root, "native/bench/generation-rate.mjs"), file, JSON.stringify(opts)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`generation-rate.mjs exited ${code}`)),
    ),
  );
}

/**
 * @param {{ client: any, platform: any, log: (line: string) => void, studyAndDeploy: Function,
 *   spawnUnderTest: Function, root: string, work: string, repeats: number }} deps
 */
export async function measureOpenAiRoute(deps) {
  const { client, platform, log } = deps;
  const glm = await deps.studyAndDeploy(client, platform.projectId, STUDY, "glm");
  const [replica] = await platform.replicasOf("glm");
  const dir = path.join(deps.work, "glm-model");
  mkdirSync(dir);
  await client.models.download(`models:/${glm.model}/${glm.version}`, dir);
  const file = path.join(dir, "model.safetensors");
  const targets = {
    gateway: { url: glm.url, headers: { authorization: `Bearer ${glm.key}` } },
    direct: { url: replica.url, headers: { authorization: `Bearer ${replica.secret}` } },
  };
  await streamCompletion(targets.gateway.url, targets.gateway.headers, "glm", SEED); // warm-up
  await streamCompletion(targets.direct.url, targets.direct.headers, "glm", SEED);
  const result = { model: { maxTokens: MAX_TOKENS, temperature: TEMPERATURE, prompt: PROMPT }, streams: STREAMS };
  for (const [name, n] of [
    ["one", 1],
    ["concurrent", STREAMS],
  ]) {
    // Rounds alternate between in-process and the two routes, so a change in the box's other
    // load hits all three alike; each figure is the median of `repeats` rounds.
    const rates = { inProcess: [], gateway: [], direct: [] };
    const timings = { gateway: [], direct: [] };
    for (let r = 0; r < deps.repeats; r++) {
      const native = await inProcessRound(deps, file, n);
      rates.inProcess.push(native.tokensPerS);
      for (const [target, t] of Object.entries(targets)) {
        const round = await routeRound(t.url, t.headers, "glm", n);
        if (round.texts.some((text, i) => text !== native.texts[i]))
          throw new Error(`${target}: the route's text differs from in-process generation with the same seed`);
        rates[target].push(round.tokensPerS);
        timings[target].push(round.timing);
      }
    }
    const row = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
    row.gatewayVsInProcess = row.gateway / row.inProcess;
    // Medians (ms from the request) of the first stream's headers, first and last text, and end.
    row.timing = Object.fromEntries(
      Object.entries(timings).map(([target, ts]) => [
        target,
        Object.fromEntries(Object.keys(ts[0]).map((k) => [k, Number(median(ts.map((t) => t[k])).toFixed(2))])),
      ]),
    );
    result[name] = row;
    log(
      `glm ${n} stream(s): gateway ${Math.round(row.gateway)} tokens/s, direct ${Math.round(row.direct)}, in-process ${Math.round(row.inProcess)} (${(100 * row.gatewayVsInProcess).toFixed(1)} %); first text after ${row.timing.gateway.firstTextMs} ms through the gateway, ${row.timing.direct.firstTextMs} ms direct; ${JSON.stringify(row.timing)}`,
    );
  }
  return result;
}
