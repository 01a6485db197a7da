// Bad input is a NativeError with a clear message, never a crash of the process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel, modelFromBytes, NativeError, train } from "../index.js";

const tmp = mkdtempSync(join(tmpdir(), "autoglm-native-err-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const x = new Float32Array(20).map((_, i) => i / 20);
const y = new Float32Array([0, 1, 0, 1, 1]);
const mlp = (config, data) =>
  train({ model: "mlp", config: { task: "classification", ...config }, data: { x, y, rows: 5, ...data } });
const invalid = (re) => ({ name: "NativeError", code: "INVALID_ARG", message: re });

test("unknown model", () => {
  assert.throws(() => train({ model: "resnet", data: {} }), invalid(/unknown model 'resnet'/));
});

test("wrong shapes", () => {
  assert.throws(() => mlp({}, { x: new Float32Array(19) }), invalid(/data.x has 19 values, which is not data.rows \(5\)/));
  assert.throws(() => mlp({}, { y: new Float32Array(4) }), invalid(/one class label per row \(5 rows\), got 4/));
  assert.throws(() => mlp({ inputs: 3 }), invalid(/config.inputs is 3 but data.x has 4 features/));
  assert.throws(() => mlp({}, { y: new Float32Array([0, 1, 2.5, 0, 1]) }), invalid(/data.y\[2\] = 2.5 is not a class label/));
  assert.throws(
    () => mlp({}, { valX: new Float32Array(3), valY: new Float32Array(1), valRows: 1 }),
    invalid(/data.valX must be/),
  );
  assert.throws(
    () => train({ model: "glm", config: { context: 64 }, data: { text: "too short" } }),
    invalid(/longer than context/),
  );
});

test("NaN and infinity in data", () => {
  const bad = x.slice();
  bad[6] = NaN;
  assert.throws(() => mlp({}, { x: bad }), invalid(/data.x contains NaN at row 1, column 2/));
  const inf = new Float32Array([0, 1, Infinity, 0, 1]);
  assert.throws(
    () => train({ model: "mlp", config: { task: "regression" }, data: { x, y: inf, rows: 5 } }),
    invalid(/data.y contains an infinite value at row 2/),
  );
});

test("bad config values", () => {
  assert.throws(() => mlp({ activation: "swish" }), invalid(/activation must be relu, gelu or tanh/));
  assert.throws(() => mlp({ lr: -1 }), invalid(/config.lr must be/));
  assert.throws(() => mlp({ dropout: 1.5 }), invalid(/dropout must be in/));
  assert.throws(() => mlp({ widht: 3 }), invalid(/unknown field `widht`/));
  assert.throws(
    () => train({ model: "glm", config: { width: 30, heads: 4 }, data: { text: "x".repeat(1000) } }),
    invalid(/multiple of glm.heads/),
  );
  assert.throws(() => mlp({ batchSize: "big" }), invalid(/batchSize/));
  assert.throws(() => mlp({ steps: 10 }), invalid(/config.steps does not apply to mlp/));
  assert.throws(
    () => train({ model: "glm", config: { epochs: 3 }, data: { text: "x".repeat(1000) } }),
    invalid(/config.epochs does not apply to glm/),
  );
  assert.throws(() => mlp({}, { rows: 2.5 }), invalid(/data.rows must be a positive integer/));
});

test("a config that does not fit in memory is TOO_LARGE, before allocating", () => {
  const t0 = Date.now();
  assert.throws(
    () =>
      train({
        model: "glm",
        config: { layers: 96, heads: 64, width: 16384, context: 8192, batchSize: 64 },
        data: { text: "x".repeat(9000) },
      }),
    { name: "NativeError", code: "TOO_LARGE", isCallerFault: true, message: /needs about [\d.]+ GiB of memory but the limit is/ },
  );
  assert.ok(Date.now() - t0 < 1000, "rejected up front");
});

test("inference on a model whose activations do not fit is TOO_LARGE, not an abort", async () => {
  const { model } = await train({
    model: "glm",
    config: { layers: 1, heads: 2, width: 16, context: 32, steps: 1 },
    data: { text: "abc ".repeat(100) },
  }).done;
  process.env.AUTOGLM_MAX_MEMORY_MB = "0";
  try {
    await assert.rejects(model.evalLoss("abc ".repeat(100)), {
      code: "TOO_LARGE",
      message: /evalLoss on glm \(context 32, 2 heads\) needs about/,
    });
    await assert.rejects(model.generate("a", { maxTokens: 5 }), { code: "TOO_LARGE", message: /generate on glm/ });
  } finally {
    delete process.env.AUTOGLM_MAX_MEMORY_MB;
  }
  assert.equal((await model.generate("a", { maxTokens: 5 })).length, 5);
});

test("corrupt, truncated, foreign and missing weights files", async () => {
  const junk = join(tmp, "junk.safetensors");
  writeFileSync(junk, Buffer.from("this is not a safetensors file at all"));
  await assert.rejects(loadModel(junk), invalid(/is not a valid autoglm weights file/));

  // a real file, truncated
  const { model } = await train({
    model: "mlp",
    config: { task: "classification", epochs: 1, layers: 1, width: 4 },
    data: { x, y, rows: 5 },
  }).done;
  const good = join(tmp, "good.safetensors");
  await model.save(good);
  const bytes = readFileSync(good);
  const cut = join(tmp, "cut.safetensors");
  writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
  await assert.rejects(loadModel(cut), invalid(/not a valid autoglm weights file/));

  // header claims a config whose shapes do not match the tensors
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
  header.__metadata__.config = header.__metadata__.config.replace('"width":4', '"width":5');
  const h2 = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h2.length));
  const forged = Buffer.concat([len, h2, bytes.subarray(8 + n)]);
  assert.throws(() => modelFromBytes(forged), invalid(/expected F32 \[5, 4\]|expected F32/));

  // a header whose config is far larger than the file must not allocate for it
  const huge = JSON.parse(bytes.subarray(8, 8 + n).toString());
  huge.__metadata__.config = JSON.stringify({ ...JSON.parse(huge.__metadata__.config), width: 60000, layers: 60 });
  const h3 = Buffer.from(JSON.stringify(huge));
  const len3 = Buffer.alloc(8);
  len3.writeBigUInt64LE(BigInt(h3.length));
  assert.throws(
    () => modelFromBytes(Buffer.concat([len3, h3, bytes.subarray(8 + n)])),
    invalid(/config needs \d+ bytes of tensors but the file has/),
  );

  // NaN weights
  const nanBytes = Buffer.from(bytes);
  nanBytes.writeFloatLE(NaN, 8 + n);
  assert.throws(() => modelFromBytes(nanBytes), invalid(/NaN or infinite/));

  await assert.rejects(loadModel(join(tmp, "missing.safetensors")), invalid(/weights file not found/));
  assert.ok((await loadModel(good)).kind === "mlp", "the intact file still loads");
});

test("inference misuse", async () => {
  const { model } = await train({
    model: "mlp",
    config: { task: "classification", epochs: 1, layers: 0 },
    data: { x, y, rows: 5 },
  }).done;
  await assert.rejects(model.predict(new Float32Array(7), 2), invalid(/x must be rows \(2\) × 4 features, got 7/));
  await assert.rejects(model.predict(new Float32Array(4), -1), invalid(/rows must be a positive integer/));
  await assert.rejects(model.predict(new Float32Array([NaN, 0, 0, 0]), 1), invalid(/NaN/));
  await assert.rejects(model.generate("hi"), invalid(/generate\(\) is for glm models/));
  assert.ok(new NativeError("INVALID_ARG", "x") instanceof Error);
});

test("a throwing onStep listener is reported, not fatal", async () => {
  const { summary } = await train({
    model: "mlp",
    config: { task: "classification", epochs: 2 },
    data: { x, y, rows: 5 },
    onStep: () => {
      throw new Error("listener bug");
    },
  }).done;
  assert.equal(summary.cancelled, false);
});
