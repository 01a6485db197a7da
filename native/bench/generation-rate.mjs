// In-process glm generation rate, the baseline `pnpm bench:serve` sets the OpenAI route beside
// (tests/run-loop/bench/serve-openai.mjs runs this in its own process, on the CPU the replica has,
// between its rounds through the route). Loads a saved glm and samples `maxTokens` bytes for each
// of `streams` prompts at once with `generate` (separate calls, as the replica serves separate
// requests), `batches` groups one after another (default 1; seeds seed, seed+1, … in order, as
// the route is asked), after one warm-up call. Prints one JSON line: tokens/s over the round and
// the texts in seed order.
//   node native/bench/generation-rate.mjs <model.safetensors> '{"prompt","maxTokens","temperature","seed","streams","batches"}'
import { loadModel } from "../index.js";

const [file, json] = process.argv.slice(2);
const o = JSON.parse(json);
const model = await loadModel(file);
const opts = (seed) => ({ maxTokens: o.maxTokens, temperature: o.temperature, seed });

await model.generate(o.prompt, opts(o.seed));
const out = [];
const t0 = performance.now();
for (let b = 0; b < (o.batches ?? 1); b++) {
  const seeds = Array.from({ length: o.streams }, (_, i) => o.seed + b * o.streams + i);
  out.push(...(await Promise.all(seeds.map((seed) => model.generate(o.prompt, opts(seed))))));
}
const seconds = (performance.now() - t0) / 1000;
const tokens = out.reduce((sum, b) => sum + b.length, 0);
process.stdout.write(`${JSON.stringify({ tokensPerS: tokens / seconds, texts: out.map((b) => b.toString("utf8")) })}\n`);
