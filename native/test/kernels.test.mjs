// One test body for every backend (STYLE 14): on the CPU each kernel's analytic gradient
// is checked against central finite differences; on CUDA each kernel's outputs and
// gradients are compared with the CPU path. CUDA cases skip, with the reason, when no
// usable GPU is present.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cudaCompare, cudaCompileCheck, devices, gradCheck, kernelNames } from "../index.js";

// f32 central differences with ε = 1e-2: truncation ~ε², rounding ~1e-7·|L|/ε ≈ 1e-5, so
// 1e-3 relative is a tight bound that still leaves an order of magnitude of headroom
// over the observed 1e-6–2e-4.
const CPU_TOL = 1e-3;
// Whole-model checks difference a full f32 forward pass (loss ≈ 5.5 nats, so its f32
// rounding ≈ 5e-7 becomes ≈ 2.5e-5 in a central difference at ε = 1e-2, against gradients
// of ≈ 0.02); over seeds 1–30 the worst observed was 8.4e-3, so 2e-2 covers that noise
// while a wiring mistake shows up as O(1).
const MODEL_TOL = 2e-2;
// CUDA vs CPU, relative to the largest magnitude of each output: f32 kernels differ only in
// summation order and atomics (1e-4 leaves ~10× headroom over f32 reassociation at these
// sizes); cuBLASLt runs f32 GEMMs with TF32 inputs (10-bit mantissa, unit roundoff
// 2^-11 ≈ 4.9e-4), so matmul gets 5e-3.
const CUDA_TOL = { matmul: 5e-3 };
const CUDA_TOL_DEFAULT = 1e-4;

const cuda = devices().cuda;
const cudaSkip = cuda.error ? `no usable CUDA: ${cuda.error}` : false;

for (const kernel of kernelNames()) {
  test(`cpu gradient check: ${kernel}`, () => {
    for (const seed of [1, 2]) {
      const r = gradCheck(kernel, seed);
      assert.ok(r.checked > 0, "checked some coordinates");
      const tol = kernel.endsWith("_model") ? MODEL_TOL : CPU_TOL;
      assert.ok(r.maxRelErr < tol, `${kernel} seed ${seed}: max relative error ${r.maxRelErr} ≥ ${tol}`);
    }
  });
}

for (const kernel of ["matmul", "bias_gelu", "layernorm", "attention", "attention_rows", "softmax_ce", "embedding", "adamw"]) {
  test(`cuda matches cpu: ${kernel}`, { skip: cudaSkip }, async () => {
    const r = await cudaCompare(kernel);
    console.log(`cuda ${kernel}: max relative difference ${r.maxRelErr.toExponential(2)} over ${r.checked} values`);
    const tol = CUDA_TOL[kernel] ?? CUDA_TOL_DEFAULT;
    assert.ok(r.maxRelErr < tol, `${kernel}: ${r.maxRelErr} ≥ ${tol}`);
  });
}

// NVRTC needs no GPU: where libnvrtc loads (the GPU machine, or LD_LIBRARY_PATH pointing at
// the PyPI wheel nvidia-cuda-nvrtc's lib/), the kernel source must compile for sm_90.
test("the CUDA kernels compile with NVRTC for compute_90", { skip: cuda.nvrtc ? false : "libnvrtc is not loadable here" }, () => {
  for (const headSize of [16, 64, 128]) {
    const bytes = cudaCompileCheck("compute_90", headSize);
    console.log(`kernels.cu (HS=${headSize}) → ${bytes} bytes of PTX`);
    assert.ok(bytes > 1000);
  }
});

if (cudaSkip) console.log(`# CUDA kernel comparisons skipped: ${cudaSkip}`);

test("an unknown kernel name is an INVALID_ARG error", () => {
  assert.throws(() => gradCheck("conv3d"), { name: "NativeError", code: "INVALID_ARG", message: /unknown kernel 'conv3d'/ });
});
