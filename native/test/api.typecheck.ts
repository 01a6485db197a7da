// Compile-time check of the facade's declared API (run by `pnpm typecheck`, not at run time).
import { devices, loadModel, NativeError, train, type Generation, type StepMetrics } from "../index.js";
import { loadDigits, loadShakespeare, splitText } from "../data.js";

export async function example(): Promise<number> {
  const d = loadDigits();
  const run = train({
    model: "mlp",
    config: { task: "classification", layers: 1, width: 32 },
    data: d,
    onStep: (m: StepMetrics) => void m.loss,
  });
  const { summary, model } = await run.done;
  if (!model) throw new NativeError("NATIVE_FAILURE", "no model");
  const p: Float32Array = await model.predict(d.x, d.rows);
  const { train: t } = splitText(loadShakespeare());
  const g = train({ model: "glm", config: { steps: 1 }, data: { text: t } });
  g.cancel();
  const loaded = await loadModel("x.safetensors");
  const out: Buffer = await loaded.generate("hi", { maxTokens: 3, topK: 5, topP: 0.9 });
  const gen: Generation = loaded.startGeneration("hi", { maxTokens: 3, topP: 0.9, seed: 1 });
  const piece: Buffer = await gen.next(2);
  const produced: number = gen.produced + (gen.done ? 1 : 0);
  return summary.steps + p.length + out.length + piece.length + produced + devices().devices.length;
}
