// `pnpm bench:native`: CPU GEMM and mlp/glm training throughput, each beside a peer run in
// the same process tree (numpy/OpenBLAS and scikit-learn from a venv in bench/.venv).
// Prints a table and rewrites only the `## Native` section of the repo's BENCHMARKS.md.
// Env: AUTOGLM_BENCH_NO_PEER=1 skips the Python peer; AUTOGLM_BENCH_QUICK=1 shrinks runs.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { benchGemm, devices, train } from "../index.js";
import { loadDigits, loadShakespeare } from "../data.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const quick = process.env.AUTOGLM_BENCH_QUICK === "1";
// NATIVE-NOTES: this machine's CPU has AVX-512, ~147 GFLOP/s f32 per core at its nominal
// clock (2 FMA units × 16 lanes × 2 flops × ~2.3 GHz).
const NOMINAL_PEAK = 147;
const mhz = Number((readFileSync("/proc/cpuinfo", "utf8").match(/cpu MHz\s*:\s*([\d.]+)/) ?? [])[1] ?? 0);
const clockPeak = (mhz / 1000) * 64;

function peer(threads, mlpSpec) {
  if (process.env.AUTOGLM_BENCH_NO_PEER === "1") return { error: "skipped (AUTOGLM_BENCH_NO_PEER=1)" };
  const venv = `${here}.venv`;
  const py = `${venv}/bin/python`;
  try {
    if (!existsSync(py)) {
      console.error("bench: creating bench/.venv with numpy + scikit-learn (PyPI) for the peer runs…");
      execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
      execFileSync(py, ["-m", "pip", "install", "-q", "numpy", "scikit-learn"], { stdio: "inherit" });
    }
    const args = [`${here}peer.py`, String(threads)];
    if (mlpSpec) args.push(JSON.stringify(mlpSpec));
    const r = spawnSync(py, args, { encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) return { error: `peer failed: ${r.stderr.trim().split("\n").at(-1)}` };
    return JSON.parse(r.stdout.trim().split("\n").at(-1));
  } catch (err) {
    return { error: `peer unavailable: ${err.message.split("\n")[0]}` };
  }
}

const fmt = (v, d = 1) => (v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(d));
const rows = [];
const dev = devices();
console.log(`devices: ${JSON.stringify(dev)}`);

// 1. GEMM
const threadsAll = os.availableParallelism();
// These cores are shared with other work, so ours and the peer alternate over a few rounds
// and each keeps its best round: both see the same quiet moments.
const best = (a, b, key) => (!a || (b[key] ?? 0) > (a[key] ?? 0) ? b : a);
let g1, gN, p1, pN;
// Single-threaded rounds first, then multi-threaded ones, so that a saturating
// multi-threaded product never runs just before a single-threaded measurement.
for (let round = 0; round < (quick ? 1 : 6); round++) {
  g1 = best(g1, await benchGemm({ n: 1024, threads: 1, iters: quick ? 2 : 10 }), "gflops");
  p1 = best(p1, peer(1), "gemm_gflops");
}
for (let round = 0; round < (quick ? 1 : 3); round++) {
  gN = best(gN, await benchGemm({ n: 1024, threads: threadsAll, iters: quick ? 2 : 10 }), "gflops");
  pN = best(pN, peer(threadsAll), "gemm_gflops");
}
rows.push([
  "f32 GEMM 1024³, 1 thread (GFLOP/s)",
  fmt(g1.gflops),
  `${fmt(p1.gemm_gflops)} (numpy ${p1.numpy ?? ""} ${p1.blas ?? ""})`.trim() + (p1.error ? ` ${p1.error}` : ""),
  `${fmt((100 * g1.gflops) / NOMINAL_PEAK, 0)}% of ${NOMINAL_PEAK} nominal peak; ${fmt((100 * g1.gflops) / clockPeak, 0)}% of ${fmt(clockPeak, 0)} at the reported ${mhz.toFixed(0)} MHz`,
]);
rows.push([
  `f32 GEMM 1024³, ${threadsAll} threads (GFLOP/s)`,
  fmt(gN.gflops),
  fmt(pN.gemm_gflops),
  `${fmt((100 * gN.gflops) / (NOMINAL_PEAK * threadsAll), 0)}% of ${threadsAll}× nominal peak`,
]);

// 2. mlp training, digits: same layers/width/batch/epochs as the scikit-learn peer
const digits = loadDigits();
const mlpSpec = { layers: 2, width: 256, batchSize: 64, epochs: quick ? 3 : 20, lr: 1e-3 };
const mlpRun = await train({
  model: "mlp",
  config: { task: "classification", activation: "relu", ...mlpSpec, logEvery: 1000 },
  data: { x: digits.x, y: digits.y, rows: digits.rows },
}).done;
// OpenBLAS threading can hurt at these small shapes, so the peer runs at 1 and at all
// threads and we keep its better figure.
const pmRuns = [1, threadsAll].map((t) => peer(t, { ...mlpSpec, csv: `${here}../data/digits.csv` }));
const pm = pmRuns.reduce((a, b) => ((b.mlp_samples_per_sec ?? 0) > (a.mlp_samples_per_sec ?? 0) ? b : a));
rows.push([
  `mlp train, digits 1797×64, 2×256 relu, batch 64 (samples/s)`,
  fmt(mlpRun.summary.itemsPerSec, 0),
  pm.mlp_samples_per_sec
    ? `${fmt(pm.mlp_samples_per_sec, 0)} (scikit-learn ${pm.sklearn} MLPClassifier, Adam)`
    : (pm.error ?? pm.mlp_error ?? "—"),
  `${(mlpRun.summary.itemsPerSec / (pm.mlp_samples_per_sec ?? NaN)).toFixed(1)}× the peer (ours ${threadsAll} threads; peer best of 1/${threadsAll} threads: ${pm.threads})`,
]);

// 3. glm training on the CPU (no peer: PyTorch is not installable here without its CUDA
// wheels, ~3 GB; the GPU machine has it and the GPU rows compare against it there).
const text = loadShakespeare();
const glmCfg = { layers: 4, heads: 4, width: 128, context: 128, batchSize: 8, steps: quick ? 5 : 30, lr: 1e-3, logEvery: 1000 };
const glmRun = await train({ model: "glm", config: glmCfg, data: { text } }).done;
const flopsPerToken = 6 * glmRun.summary.paramCount + 6 * glmCfg.layers * glmCfg.context * glmCfg.width;
const glmGflops = (glmRun.summary.itemsPerSec * flopsPerToken) / 1e9;
rows.push([
  `glm train on ${glmRun.summary.device}, ${(glmRun.summary.paramCount / 1e6).toFixed(2)} M params, context 128, batch 8 (tokens/s)`,
  fmt(glmRun.summary.itemsPerSec, 0),
  "— (no PyTorch on this machine)",
  `${fmt(glmGflops)} GFLOP/s model FLOPs = ${fmt((100 * glmGflops) / (NOMINAL_PEAK * threadsAll), 0)}% of ${threadsAll}× nominal peak`,
]);

// 4. generation with the KV cache, batch 1 and 32 (a batch samples sequences in parallel)
for (const batch of [1, 32]) {
  const maxTokens = quick ? 20 : batch === 1 ? 256 : 100;
  const prompts = Array.from({ length: batch }, () => "ROMEO.\n");
  const t0 = performance.now();
  await glmRun.model.generate(batch === 1 ? prompts[0] : prompts, { maxTokens, temperature: 0.8, topK: 40 });
  const tps = (batch * maxTokens) / ((performance.now() - t0) / 1000);
  rows.push([
    `glm generate, same model, batch ${batch}, KV cache (tokens/s)`,
    fmt(tps, 0),
    "—",
    batch === 1 ? "one sequence: latency-bound matrix-vector work" : `${threadsAll} threads over 32 sequences`,
  ]);
}

const load = os
  .loadavg()
  .map((x) => x.toFixed(1))
  .join(" / ");
const machine = `${os.cpus()[0].model}, ${threadsAll} cores (${dev.devices[0].simd}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average at the end of the run ${load} (1/5/15 min; other work shares these cores)`;
const date = process.env.AUTOGLM_BENCH_DATE ?? new Date().toISOString().slice(0, 10);
const table = [
  "| measure | @autoglm/native | peer (same run) | note |",
  "|---|---|---|---|",
  ...rows.map((r) => `| ${r.join(" | ")} |`),
].join("\n");
console.log(`\n${table}\n`);

// 5. GPU rows, when this machine has one (gpu-tests/bench-gpu.mjs, beside PyTorch)
let gpuLine;
if (dev.selected === "cuda") {
  const r = spawnSync(process.execPath, [`${here}../gpu-tests/bench-gpu.mjs`], { encoding: "utf8", timeout: 1_800_000 });
  gpuLine =
    r.status === 0 ? `\n\n${r.stdout.trim()}\n` : `GPU benchmark failed: ${r.stderr.trim().split("\n").slice(-3).join(" ")}`;
} else {
  gpuLine = `No GPU on this machine (${dev.cuda.error}). No GPU machine was lent to the session that wrote the native module (2026-11-22), so there are no GPU rows yet: glm tokens/s and MFU at ~10 M and ~100 M parameters, mlp samples/s and generation tokens/s beside PyTorch eager / torch.compile remain to be measured on the GPU machine (\`node native/bench/bench.mjs\` there runs \`gpu-tests/bench-gpu.mjs\`; see native/README.md, "GPU").`;
}
const section = `## Native

Date: ${date}. Machine: ${machine}. Command: \`pnpm bench:native\` (runs \`node native/bench/bench.mjs\`; peers from \`native/bench/.venv\`, numpy + scikit-learn from PyPI).

${table}

GEMM: the \`gemm\` crate (0.19, AVX-512 micro-kernels via its \`x86-v4\` feature), best of 10 products after a warm-up, best of 6 rounds (3 multi-threaded) alternating with the numpy peer (also best of 10 products per round). The nominal peak is NATIVE-NOTES' 147 GFLOP/s per core (2 AVX-512 FMA units at ~2.3 GHz); the guest reports ${mhz.toFixed(0)} MHz and the cores evidently run above the nominal clock, so a figure above 100% of "nominal" is possible. Multi-threaded rows are noisy: other builds share these ${threadsAll} cores.

Goal "CPU GEMM at 70% or more of one core's peak": ${g1.gflops >= 0.7 * NOMINAL_PEAK ? "met" : "missed"} in this run (${fmt((100 * g1.gflops) / NOMINAL_PEAK, 0)}% of the nominal ${NOMINAL_PEAK}; the threshold is ${fmt(0.7 * NOMINAL_PEAK)} GFLOP/s). A run under heavy load from other work on these cores (see the load average) reads low for ours and the peer alike.

GPU: ${gpuLine}
`;

const path = `${root}BENCHMARKS.md`;
let doc = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
const re = /^## Native\n[\s\S]*?(?=^## |(?![\s\S]))/m;
doc = re.test(doc) ? doc.replace(re, `${section}\n`) : `${doc.trimEnd()}\n\n${section}`;
writeFileSync(path, doc);
console.log(`wrote ${path} (## Native)`);
