import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel, train } from "../index.js";
import { loadShakespeare, splitText, unigramEntropy } from "../data.js";

const text = loadShakespeare();
const { train: trainText, val: valText } = splitText(text, 0.1);
const tmp = mkdtempSync(join(tmpdir(), "autoglm-native-glm-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test("a tiny glm gets held-out loss clearly below the unigram entropy; save → load is identical", async () => {
  const h = unigramEntropy(valText);
  const metrics = [];
  const run = train({
    model: "glm",
    // ~120 K parameters; 250 steps of 16×64 bytes take ~10 s on 2 cores.
    config: {
      layers: 2,
      heads: 4,
      width: 64,
      context: 64,
      steps: 250,
      batchSize: 16,
      lr: 3e-3,
      warmup: 25,
      evalEvery: 125,
      evalWindows: 64,
      seed: 1,
    },
    data: { text: trainText, valText },
    onStep: (m) => metrics.push(m),
  });
  const { summary, model } = await run.done;
  assert.equal(summary.steps, 250);
  const withVal = metrics.filter((m) => m.valLoss !== undefined);
  assert.ok(withVal.length >= 1, "validation loss reported");
  assert.ok(
    metrics.every((m) => Number.isFinite(m.gradNorm)),
    "grad norms reported",
  );
  // lr: warmup then cosine decay
  assert.ok(metrics[0].lr < metrics[30].lr && metrics.at(-1).lr < metrics[30].lr, "warmup then decay");
  const val = await model.evalLoss(valText, { windows: 64 });
  console.log(
    `glm held-out loss ${val.toFixed(3)} nats vs unigram entropy ${h.toFixed(3)} nats (${summary.itemsPerSec.toFixed(0)} tokens/s)`,
  );
  assert.ok(val < h - 0.5, `held-out loss ${val} not clearly below unigram ${h}`);

  const path = join(tmp, "glm.safetensors");
  await model.save(path);
  const loaded = await loadModel(path);
  assert.equal(loaded.kind, "glm");
  assert.equal(loaded.paramCount, model.paramCount);
  assert.equal(await loaded.evalLoss(valText, { windows: 16 }), await model.evalLoss(valText, { windows: 16 }));
  const opts = { maxTokens: 60, temperature: 0.8, topK: 20, seed: 5 };
  const g1 = await model.generate("KING.\n", opts);
  const g2 = await loaded.generate("KING.\n", opts);
  assert.equal(g2.length, 60);
  assert.deepEqual(g2, g1, "same weights + seed → same sample");
  console.log(`sample: ${JSON.stringify(g1.toString("latin1"))}`);
  const batch = await loaded.generate(["KING.\n", "QUEEN.\n"], opts);
  assert.equal(batch.length, 2);
  assert.deepEqual(batch[0], g1, "batch entry 0 uses the same seed as a single call");
  const greedy = await model.generate("the ", { maxTokens: 20, temperature: 0 });
  assert.deepEqual(await loaded.generate("the ", { maxTokens: 20, temperature: 0 }), greedy);
});

test("glm training can be cancelled", async () => {
  let run;
  run = train({
    model: "glm",
    config: { layers: 1, heads: 2, width: 32, context: 32, steps: 100000, batchSize: 4 },
    data: { text: trainText },
    onStep: (m) => {
      if (m.step >= 5) run.cancel();
    },
  });
  const { summary } = await run.done;
  assert.equal(summary.cancelled, true);
  assert.ok(summary.steps < 1000);
});
