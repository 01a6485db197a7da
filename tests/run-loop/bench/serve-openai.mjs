// `pnpm bench:serve`'s third measure: the byte-level glm on the OpenAI
// route against the same generation in-process. The agent trains the builtin glm on shakespeare
// (the trainer's default shape: 2 layers, width 64, 4 heads, context 64; 60 steps: the weights'
// quality does not change the rate) and `deploy` serves it; then, at 1 stream and at 8 concurrent
// streams, `POST <endpoint>/v1/completions` with `stream: true` (max_tokens 256 and 1,024, temperature 0.9,
// a seed per stream) through the gateway and directly at the replica, timed from the request to
// `data: [DONE]`; and native/bench/generation-rate.mjs, on the replica's CPU, loads the same
// version's files (downloaded with the SDK) and calls `generate` with the same prompt and seeds.
// In-process and route rounds alternate, each after one untimed call; each figure is the median
// of its rounds, with its streams' median time to headers, first and last text, and end. With
// pinning it all runs twice: the server on the replica's CPU, then on the other CPU.
// Every stream must end with finish_reason "length" after max_tokens bytes and carry the same
// text as the in-process call with its seed.
import { mkdirSync } from "node:fs";
import http from "node:http";
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
/**
 * Answer lengths: 256 bytes (~10 ms of sampling at this size, where every fixed cost of a request
 * shows) and 1,024, which spreads the same per-request costs over 4× the sampling.
 */
const ANSWER_TOKENS = [256, 1024];
const TEMPERATURE = 0.9;
const SEED = 7;
const STREAMS = 8;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Kept-alive connections for the bench's client, as autocannon keeps them for the load points. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One streamed completion: its text, checked to end with finish_reason "length", and when (ms from
 * the request) its headers came, its first text arrived and its last text arrived. The client is
 * node:http on a kept-alive connection: `fetch` (undici's, in this process) took ~1 ms to send a
 * request and ~0.7 ms to deliver the end of its stream on a busy box, a client's cost the
 * in-process side does not have and no part of the route.
 */
function streamCompletion(url, headers, model, seed, maxTokens) {
  const body = JSON.stringify({ model, prompt: PROMPT, max_tokens: maxTokens, temperature: TEMPERATURE, seed, stream: true });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/v1/completions`,
      {
        method: "POST",
        agent,
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const at = { headersMs: performance.now() - t0, firstTextMs: null, lastTextMs: null };
        let raw = "";
        if (res.statusCode !== 200) {
          res.setEncoding("utf8");
          res.on("data", (c) => (raw += c));
          res.on("end", () => reject(new Error(`/v1/completions: ${res.statusCode} ${raw}`)));
          return;
        }
        let text = "";
        let finish = null;
        let done = false;
        let pending = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          pending += chunk;
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
        });
        res.on("error", reject);
        res.on("end", () => {
          if (!done || finish !== "length")
            return reject(new Error(`a stream ended without [DONE] after finish_reason "length" (${finish})`));
          resolve({ text, ...at, totalMs: performance.now() - t0 });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Groups of `n` concurrent streams a round runs one after another: one ~10 ms completion is too
 * short a round (its median over 9 rounds moved ±10 % between runs of the same tree); 10 in a
 * row at 1 stream, 2 groups of 8.
 */
const batchesOf = (n) => (n === 1 ? 10 : 2);

/** Tokens/s of `batchesOf(n)` groups of `n` concurrent streams, their texts in seed order and the streams' median timings. */
async function routeRound(url, headers, model, n, maxTokens) {
  // One untimed stream first, as generation-rate.mjs warms up with one `generate`: the in-process
  // round between two route rounds takes over a second, past the gateway's 1 s memo of a granted
  // key and its 250 ms cache of ready replicas, so without it every timed round would measure the
  // key's SQL check and the replica lookup (+5.6 ms to the first byte at 1 stream, PGlite, load 8)
  // instead of streaming as a client that keeps calling the endpoint sees it.
  await streamCompletion(url, headers, model, SEED, maxTokens);
  const t0 = performance.now();
  const streams = [];
  for (let b = 0; b < batchesOf(n); b++) {
    const seeds = Array.from({ length: n }, (_, i) => SEED + b * n + i);
    streams.push(...(await Promise.all(seeds.map((seed) => streamCompletion(url, headers, model, seed, maxTokens)))));
  }
  const timing = Object.fromEntries(
    ["headersMs", "firstTextMs", "lastTextMs", "totalMs"].map((k) => [k, median(streams.map((s) => s[k]))]),
  );
  return {
    tokensPerS: (streams.length * maxTokens) / ((performance.now() - t0) / 1000),
    texts: streams.map((s) => s.text),
    timing,
  };
}

/** native/bench/generation-rate.mjs on the CPU under test: one round of the same generation, in-process. */
function inProcessRound({ spawnUnderTest, root }, file, n, maxTokens) {
  const opts = { prompt: PROMPT, maxTokens, temperature: TEMPERATURE, seed: SEED, streams: n, batches: batchesOf(n) };
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
 * Tokens/s of `n` concurrent streams in-process, through the gateway and direct to the replica.
 * Rounds alternate between the three, so a change in the box's other load hits all alike; each
 * figure is the median of `repeats` rounds, with the streams' median timings (ms from
 * the request: headers, first and last text, end).
 */
async function measureStreams(deps, targets, file, n, maxTokens) {
  const rates = { inProcess: [], gateway: [], direct: [] };
  const timings = { gateway: [], direct: [] };
  for (let r = 0; r < deps.repeats; r++) {
    const native = await inProcessRound(deps, file, n, maxTokens);
    rates.inProcess.push(native.tokensPerS);
    for (const [target, t] of Object.entries(targets)) {
      const round = await routeRound(t.url, t.headers, "glm", n, maxTokens);
      if (round.texts.some((text, i) => text !== native.texts[i]))
        throw new Error(`${target}: the route's text differs from in-process generation with the same seed`);
      rates[target].push(round.tokensPerS);
      timings[target].push(round.timing);
    }
  }
  const row = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
  row.gatewayVsInProcess = row.gateway / row.inProcess;
  row.timing = Object.fromEntries(
    Object.entries(timings).map(([target, ts]) => [
      target,
      Object.fromEntries(Object.keys(ts[0]).map((k) => [k, Number(median(ts.map((t) => t[k])).toFixed(2))])),
    ]),
  );
  return row;
}

/**
 * @param {{ client: any, platform: any, log: (line: string) => void, studyAndDeploy: Function,
 *   spawnUnderTest: Function, root: string, work: string, repeats: number,
 *   placements: Array<{ key: string, label: string, cpu: string | null }> }} deps
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
  await streamCompletion(targets.gateway.url, targets.gateway.headers, "glm", SEED, ANSWER_TOKENS[0]); // warm-up
  await streamCompletion(targets.direct.url, targets.direct.headers, "glm", SEED, ANSWER_TOKENS[0]);
  const result = { model: { temperature: TEMPERATURE, prompt: PROMPT }, streams: STREAMS, placements: [] };
  for (const placement of deps.placements) {
    if (placement.cpu !== null) platform.pinTo(placement.cpu);
    const measured = { key: placement.key, label: placement.label, rows: [] };
    for (const tokens of ANSWER_TOKENS) {
      for (const n of [1, STREAMS]) {
        const row = { tokens, streams: n, ...(await measureStreams(deps, targets, file, n, tokens)) };
        measured.rows.push(row);
        log(
          `glm ${tokens} tokens × ${n} stream(s), ${placement.label}: gateway ${Math.round(row.gateway)} tokens/s, direct ${Math.round(row.direct)}, in-process ${Math.round(row.inProcess)} (${(100 * row.gatewayVsInProcess).toFixed(1)} %); first text after ${row.timing.gateway.firstTextMs} ms through the gateway, ${row.timing.direct.firstTextMs} ms direct; ${JSON.stringify(row.timing)}`,
        );
      }
    }
    result.placements.push(measured);
  }
  agent.destroy();
  return result;
}
