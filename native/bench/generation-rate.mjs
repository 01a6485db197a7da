// In-process glm generation rate, the baseline `pnpm bench:serve` sets the OpenAI route beside
// (tests/run-loop/bench/serve-openai.mjs runs this in its own process, on the CPU the replica has,
// between its rounds through the route). Loads a saved glm and samples `maxTokens` bytes for each
// of `streams` prompts at once with `generate` (separate calls, as the replica serves separate
// requests; seeds seed…seed+streams-1, as the route is asked), after one warm-up call. Prints one
// JSON line: tokens/s over the round and the texts in seed order.
//   node native/bench/generation-rate.mjs <model.safetensors> '{"prompt","maxTokens","temperature","seed","streams"}'
import { loadModel } from "../index.js";

const [file, json] = process.argv.slice(2);
const o = JSON.parse(json);
const model = await loadModel(file);
const opts = (seed) => ({ maxTokens: o.maxTokens, temperature: o.temperature, seed });

await model.generate(o.prompt, opts(o.seed));
const t0 = performance.now();
const out = await Promise.all(Array.from({ length: o.streams }, (_, i) => model.generate(o.prompt, opts(o.seed + i))));
const seconds = (performance.now() - t0) / 1000;
const tokens = out.reduce((sum, b) => sum + b.length, 0);
process.stdout.write(`${JSON.stringify({ tokensPerS: tokens / seconds, texts: out.map((b) => b.toString("utf8")) })}\n`);
