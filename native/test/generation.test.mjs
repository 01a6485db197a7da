import { test } from "node:test";
import assert from "node:assert/strict";
import { NativeError, train } from "../index.js";
import { loadShakespeare } from "../data.js";

// A few steps are enough: the checks compare samplers with each other, not sample quality.
const { model } = await train({
  model: "glm",
  config: { layers: 1, heads: 2, width: 32, context: 32, steps: 20, batchSize: 4, seed: 3 },
  data: { text: loadShakespeare().subarray(0, 20_000) },
}).done;

async function drain(gen, step) {
  const parts = [];
  for (;;) {
    const b = await gen.next(step);
    if (b.length === 0) return Buffer.concat(parts);
    parts.push(b);
  }
}

test("a generation streamed in pieces gives generate's bytes for the same options, past the context too", async () => {
  // 80 bytes after a 10-byte prompt cross the 32-byte window twice (two re-prefills).
  const cases = [
    { maxTokens: 80, temperature: 0 },
    { maxTokens: 80, temperature: 0.9, topK: 20, seed: 7 },
    { maxTokens: 80, temperature: 1.2, topP: 0.7, seed: 11 },
    { maxTokens: 80, temperature: 1, topK: 40, topP: 0.9, seed: 2 },
  ];
  for (const opts of cases) {
    const whole = await model.generate("ROMEO.\nO, ", opts);
    assert.equal(whole.length, 80);
    for (const step of [1, 7, 80, 1000]) {
      const gen = model.startGeneration("ROMEO.\nO, ", opts);
      assert.equal(gen.done, false);
      assert.deepEqual(await drain(gen, step), whole, `${JSON.stringify(opts)} in steps of ${step}`);
      assert.equal(gen.produced, 80);
      assert.equal(gen.done, true);
      assert.equal((await gen.next(5)).length, 0, "nothing after maxTokens");
    }
  }
});

test("topP keeps the nucleus: a tiny topP is greedy, and topP changes samples", async () => {
  const greedy = await model.generate("the ", { maxTokens: 40, temperature: 0 });
  assert.deepEqual(await model.generate("the ", { maxTokens: 40, temperature: 1.5, topP: 1e-6, seed: 9 }), greedy);
  const full = await model.generate("the ", { maxTokens: 40, temperature: 1.5, seed: 9 });
  const nucleus = await model.generate("the ", { maxTokens: 40, temperature: 1.5, topP: 0.5, seed: 9 });
  assert.notDeepEqual(nucleus, full);
});

test("a second next() before the first settles is refused clearly; the session goes on", async () => {
  const gen = model.startGeneration("A", { maxTokens: 10, temperature: 0 });
  const first = gen.next(4);
  await assert.rejects(
    gen.next(1),
    (e) => e instanceof NativeError && e.code === "INVALID_ARG" && /has not settled/.test(e.message),
  );
  assert.equal((await first).length, 4);
  const rest = await gen.next(100);
  assert.equal(rest.length, 6);
  const whole = await model.generate("A", { maxTokens: 10, temperature: 0 });
  assert.deepEqual(Buffer.concat([await first, rest]), whole);
});

test("bad options are INVALID_ARG before any work", async () => {
  const bad = [
    [() => model.startGeneration("x", { topP: 0 }), /topP must be in \(0, 1\], got 0/],
    [() => model.startGeneration("x", { topP: 1.5 }), /topP must be in \(0, 1\], got 1.5/],
    [() => model.startGeneration("x", { temperature: -1 }), /temperature must be a finite number >= 0/],
    [() => model.startGeneration("x", { maxTokens: 2 ** 21 }), /maxTokens must be at most 1048576/],
  ];
  for (const [fn, message] of bad)
    assert.throws(fn, (e) => e instanceof NativeError && e.code === "INVALID_ARG" && message.test(e.message));
  await assert.rejects(model.generate("x", { topP: 2 }), (e) => e.code === "INVALID_ARG" && /topP/.test(e.message));
  await assert.rejects(
    model.startGeneration("x").next(0),
    (e) => e.code === "INVALID_ARG" && /n must be a positive integer/.test(e.message),
  );
  const { model: mlp } = await train({
    model: "mlp",
    config: { task: "regression", epochs: 1, layers: 0 },
    data: { x: [1, 2, 3, 4], y: [1, 2], rows: 2 },
  }).done;
  assert.throws(
    () => mlp.startGeneration("x"),
    (e) => e.code === "INVALID_ARG" && /for glm models/.test(e.message),
  );
});
