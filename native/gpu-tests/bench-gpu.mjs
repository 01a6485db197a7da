// GPU benchmark rows (run on the GPU machine: `node native/gpu-tests/bench-gpu.mjs`), each
// beside PyTorch eager and torch.compile on the same GPU in the same run. Prints a markdown
// table; the GPU session pastes it (with the exact command) into BENCHMARKS.md ## Native.
// AUTOGLM_TORCH_PYTHON picks the Python that has PyTorch (default python3).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { benchGemm, devices, train } from "../index.js";
import { loadDigits, loadShakespeare } from "../data.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const py = process.env.AUTOGLM_TORCH_PYTHON ?? "python3";
const d = devices();
if (d.selected !== "cuda") {
  console.log(`no CUDA device selected (${d.cuda.error ?? "AUTOGLM_DEVICE"}); nothing to benchmark`);
  process.exit(0);
}
const gpu = d.devices.find((x) => x.kind === "cuda");
// H100 SXM dense peaks (TFLOP/s): TF32 494, bf16 989. Our GEMMs are TF32; PyTorch's bf16.
const PEAK_TF32 = 494;
const PEAK_BF16 = 989;

function torchPeer(kind, cfg, steps) {
  const r = spawnSync(py, [`${here}torch_peer.py`, kind, JSON.stringify(cfg), String(steps)], {
    encoding: "utf8",
    timeout: 600_000,
  });
  if (r.status !== 0) return [{ peer: `pytorch failed: ${r.stderr.trim().split("\n").at(-1)}` }];
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

const rows = [];
const text = loadShakespeare();
for (const [name, cfg, steps] of [
  ["~10 M", { layers: 6, heads: 6, width: 384, context: 512, batchSize: 16 }, 20],
  ["~100 M", { layers: 12, heads: 12, width: 768, context: 512, batchSize: 16 }, 10],
]) {
  const { summary } = await train({ model: "glm", config: { ...cfg, steps, warmup: 1, logEvery: 1000 }, data: { text } }).done;
  const flopsPerToken = 6 * summary.paramCount + 6 * cfg.layers * cfg.context * cfg.width;
  const tflops = (summary.itemsPerSec * flopsPerToken) / 1e12;
  const peers = torchPeer("glm", cfg, steps);
  rows.push([
    `glm train ${name} (${(summary.paramCount / 1e6).toFixed(1)} M), ctx 512, batch 16, tokens/s [MFU]`,
    `${summary.itemsPerSec.toFixed(0)} on ${summary.device} [${((100 * tflops) / PEAK_TF32).toFixed(1)}% of TF32 peak]`,
    peers
      .map((p) =>
        p.tokens_per_sec
          ? `${p.peer}: ${p.tokens_per_sec.toFixed(0)} [${((100 * p.tflops) / PEAK_BF16).toFixed(1)}% of bf16 peak]`
          : p.peer,
      )
      .join("; "),
  ]);
}
for (const n of [1024, 4096]) {
  const r = await benchGemm({ n, device: "cuda", iters: 5 });
  rows.push([`cuBLASLt f32 (TF32) GEMM ${n}³, TFLOP/s`, (r.gflops / 1000).toFixed(1), `TF32 dense peak ${PEAK_TF32}`]);
}
const mlpCfg = { layers: 2, width: 256, batchSize: 64, inputs: 64, outputs: 10 };
const mlpPeers = torchPeer("mlp", mlpCfg, 200);
const digits = loadDigits();
const mlpRun = await train({
  model: "mlp",
  config: { task: "classification", layers: 2, width: 256, activation: "relu", batchSize: 64, epochs: 20, logEvery: 100000 },
  data: { x: digits.x, y: digits.y, rows: digits.rows },
}).done;
rows.push([
  "mlp train samples/s (digits, 2×256 relu, batch 64)",
  `${mlpRun.summary.itemsPerSec.toFixed(0)} on ${mlpRun.summary.device}`,
  mlpPeers.map((p) => `${p.peer}: ${p.samples_per_sec?.toFixed(0)}`).join("; "),
]);
rows.push(["glm generation tokens/s, batch 1 / 32", "generation runs on the CPU (KV cache); see the CPU table", "—"]);

console.log(
  `GPU: ${gpu.name} (cc ${gpu.computeCapability}), ${(gpu.memoryBytes / 2 ** 30).toFixed(0)} GiB; date ${new Date().toISOString().slice(0, 10)}`,
);
console.log("| measure | @autoglm/native | PyTorch (same GPU, same run) |\n|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
