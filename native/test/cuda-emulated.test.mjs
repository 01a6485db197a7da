// The CUDA kernels (src/cuda/kernels.cu) compiled as C++ against a small CPU emulator
// (gpu-tests/emulate/cuda_emu.h) and checked: forwards against references, backwards
// against finite differences. This checks their arithmetic and indexing on machines
// without a GPU; it says nothing about timing, races under real concurrency or occupancy,
// which only the GPU tests (gpu-tests/) can. Skips when no C++20 compiler is present.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../gpu-tests/emulate/emulate.cpp", import.meta.url));
const cxx = process.env.CXX ?? "g++";
const hasCxx = spawnSync(cxx, ["--version"]).status === 0;

for (const hs of [16, 64])
  test(
    `CUDA kernels under the CPU emulator (head size ${hs})`,
    { skip: hasCxx ? false : `no C++ compiler (${cxx})`, timeout: 180_000 },
    () => {
      const dir = mkdtempSync(join(tmpdir(), "autoglm-emu-"));
      try {
        const bin = join(dir, "emu");
        const c = spawnSync(cxx, ["-std=c++20", "-O1", "-pthread", `-DHS=${hs}`, "-Wno-unknown-pragmas", src, "-o", bin], {
          encoding: "utf8",
        });
        assert.equal(c.status, 0, `compile failed: ${c.stderr}`);
        const r = spawnSync(bin, [], { encoding: "utf8", timeout: 120_000 });
        for (const line of r.stdout.trim().split("\n")) console.log(line);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^emulated kernel checks: \d+ ok \/ 0 failed$/m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
