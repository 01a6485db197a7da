import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel, train } from "../index.js";
import { loadDiabetes, loadDigits, splitRows } from "../data.js";

const digits = splitRows(loadDigits(), 0.2, 1);
const tmp = mkdtempSync(join(tmpdir(), "autoglm-native-mlp-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function accuracy(pred, y) {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return ok / y.length;
}

test("a tiny mlp learns 8x8 digits to > 90% held-out accuracy; save → load predicts identically", async () => {
  const { train: tr, val } = digits;
  const steps = [];
  const run = train({
    model: "mlp",
    config: {
      task: "classification",
      layers: 1,
      width: 32,
      activation: "relu",
      epochs: 10,
      lr: 3e-3,
      batchSize: 32,
      weightDecay: 1e-4,
      seed: 3,
    },
    data: { x: tr.x, y: tr.y, rows: tr.rows, valX: val.x, valY: val.y, valRows: val.rows },
    onStep: (m) => steps.push(m),
  });
  const { summary, model } = await run.done;
  assert.equal(summary.cancelled, false);
  assert.equal(summary.epochs, 10);
  assert.ok(steps.length > 0, "onStep was called");
  assert.ok(steps.at(-1).step <= summary.steps);
  const acc = accuracy(await model.predictClasses(val.x, val.rows), val.y);
  console.log(`digits held-out accuracy ${acc.toFixed(4)} (${summary.steps} steps, ${summary.elapsedMs.toFixed(0)} ms)`);
  assert.ok(acc > 0.9, `held-out accuracy ${acc}`);
  assert.ok(Math.abs(acc - summary.valAccuracy) < 1e-9, "facade accuracy matches the trainer's");

  const path = join(tmp, "digits.safetensors");
  await model.save(path);
  const loaded = await loadModel(path);
  assert.equal(loaded.kind, "mlp");
  assert.deepEqual(loaded.config, model.config);
  const a = await model.predict(val.x, val.rows);
  const b = await loaded.predict(val.x, val.rows);
  assert.deepEqual(b, a, "identical probabilities after save → load");
});

test("mlp regression on diabetes beats predicting the mean (R² > 0.3)", async () => {
  const { train: tr, val } = splitRows(loadDiabetes(), 0.2, 2);
  const { model } = await train({
    model: "mlp",
    config: {
      task: "regression",
      layers: 1,
      width: 32,
      activation: "tanh",
      dropout: 0.1,
      epochs: 60,
      lr: 3e-3,
      batchSize: 32,
      weightDecay: 1e-3,
    },
    data: { x: tr.x, y: tr.y, rows: tr.rows },
  }).done;
  const pred = await model.predict(val.x, val.rows);
  const mean = val.y.reduce((s, v) => s + v, 0) / val.rows;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < val.rows; i++) {
    ssRes += (pred[i] - val.y[i]) ** 2;
    ssTot += (mean - val.y[i]) ** 2;
  }
  const r2 = 1 - ssRes / ssTot;
  console.log(`diabetes held-out R² ${r2.toFixed(3)}`);
  assert.ok(r2 > 0.3, `R² ${r2}`);
});

test("cancel() stops an mlp run early; done still resolves, marked cancelled", async () => {
  const { train: tr } = digits;
  const run = train({
    model: "mlp",
    config: { task: "classification", layers: 2, width: 256, epochs: 10000, batchSize: 16 },
    data: { x: tr.x, y: tr.y, rows: tr.rows },
    onStep: (m) => {
      if (m.step === 20) run.cancel();
    },
  });
  const { summary, model } = await run.done;
  assert.equal(summary.cancelled, true);
  assert.ok(summary.steps < 1000, `stopped after ${summary.steps} steps`);
  assert.equal(run.isRunning, false);
  assert.ok(model, "the partial model is still returned");
});

test("an AbortSignal prunes a run", async () => {
  const { train: tr } = digits;
  const ac = new AbortController();
  const run = train({
    model: "mlp",
    config: { task: "classification", epochs: 10000 },
    data: { x: tr.x, y: tr.y, rows: tr.rows },
    signal: ac.signal,
  });
  setTimeout(() => ac.abort(), 50);
  const { summary } = await run.done;
  assert.equal(summary.cancelled, true);
});
