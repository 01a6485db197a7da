// GPU checks, run on the GPU machine (see native/README.md "GPU"). Plain node + the addon:
// nothing from node_modules. Without a usable CUDA device every case skips with the reason.
// The per-kernel CUDA-vs-CPU comparisons live in ../test/kernels.test.mjs (one test body
// for both backends); run both files there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { benchGemm, devices, train } from "../index.js";
import { trainInChild, trainMlpInChild } from "./helpers.mjs";

const d = devices();
const skip = d.cuda.error ? `no usable CUDA: ${d.cuda.error}` : false;
if (skip) console.log(`# GPU tests skipped: ${skip}`);

test("devices() reports the CUDA device and selects it", { skip }, () => {
  const gpus = d.devices.filter((x) => x.kind === "cuda");
  assert.ok(gpus.length >= 1);
  assert.equal(d.selected, "cuda");
  console.log(JSON.stringify(d));
});

test("the same glm run tracks the same loss curve on CUDA and CPU", { skip, timeout: 600_000 }, () => {
  // Same seed → same batches (src/train/ samples on the host for both backends).
  const config = { layers: 2, heads: 4, width: 64, context: 64, batchSize: 16, lr: 1e-3, warmup: 5, seed: 1, logEvery: 1 };
  const cpu = trainInChild("cpu", config);
  const gpu = trainInChild("cuda", config);
  assert.equal(gpu.summary.device, "cuda", `the GPU child trained on ${gpu.summary.device}: ${gpu.stderr}`);
  assert.equal(cpu.summary.device, "cpu");
  const diffs = cpu.losses.map((l, i) => Math.abs(l - gpu.losses[i]));
  console.log(`cpu: ${cpu.losses.map((x) => x.toFixed(3)).join(" ")}`);
  console.log(`gpu: ${gpu.losses.map((x) => x.toFixed(3)).join(" ")}`);
  console.log(
    `max |Δloss| ${Math.max(...diffs).toFixed(4)}; tokens/s cpu ${cpu.summary.itemsPerSec.toFixed(0)}, gpu ${gpu.summary.itemsPerSec.toFixed(0)}`,
  );
  // TF32 GEMMs (rel. error ~5e-4) and atomics make the runs drift apart slowly; the first
  // step must agree closely, the curve within 0.05 nats, the end within 2%.
  assert.ok(diffs[0] < 1e-3, `step 1 differs by ${diffs[0]}`);
  assert.ok(Math.max(...diffs) < 0.05, `curves differ by up to ${Math.max(...diffs)}`);
  assert.ok(Math.abs(cpu.summary.finalLoss - gpu.summary.finalLoss) / cpu.summary.finalLoss < 0.02);
});

test("the same mlp run tracks the same loss curve on CUDA and CPU", { skip, timeout: 600_000 }, () => {
  const config = {
    task: "classification",
    layers: 2,
    width: 64,
    activation: "gelu",
    epochs: 2,
    batchSize: 32,
    lr: 1e-3,
    seed: 2,
  };
  const cpu = trainMlpInChild("cpu", config);
  const gpu = trainMlpInChild("cuda", config);
  assert.equal(gpu.summary.device, "cuda", `the GPU child trained on ${gpu.summary.device}: ${gpu.stderr}`);
  const diffs = cpu.losses.map((l, i) => Math.abs(l - gpu.losses[i]));
  console.log(
    `mlp max |Δloss| ${Math.max(...diffs).toFixed(4)} over ${diffs.length} steps; samples/s cpu ${cpu.summary.itemsPerSec.toFixed(0)}, gpu ${gpu.summary.itemsPerSec.toFixed(0)}`,
  );
  assert.ok(diffs[0] < 1e-3, `step 1 differs by ${diffs[0]}`);
  assert.ok(Math.max(...diffs) < 0.05, `curves differ by up to ${Math.max(...diffs)}`);
});

test("a glm config too large for GPU memory is TOO_LARGE up front", { skip }, () => {
  assert.throws(
    () =>
      train({
        model: "glm",
        config: { layers: 64, heads: 32, width: 8192, context: 4096, batchSize: 64 },
        data: { text: "x".repeat(10000) },
      }),
    { code: "TOO_LARGE", message: /GiB of (GPU )?memory/ },
  );
});

test("cuBLASLt GEMM throughput (TF32), reported", { skip }, async () => {
  for (const n of [1024, 4096, 8192]) {
    const r = await benchGemm({ n, device: "cuda", iters: 5 });
    console.log(`cuda GEMM ${n}³: ${(r.gflops / 1000).toFixed(1)} TFLOP/s`);
    assert.ok(r.gflops > 0);
  }
});
