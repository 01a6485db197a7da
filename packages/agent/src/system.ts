import { execFile } from "node:child_process";
import os from "node:os";
import type { TGpu, TGpuUse } from "@autoglm/protocol";

/**
 * GPUs as nvidia-smi reports them; none when it is absent or fails (a CPU machine).
 * `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits` prints
 * `0, NVIDIA H100 80GB HBM3, 81559` per GPU (memory in MiB).
 */
export function detectGpus(nvidiaSmi = "nvidia-smi", timeoutMs = 10_000): Promise<TGpu[]> {
  return new Promise((resolve) => {
    execFile(
      nvidiaSmi,
      ["--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"],
      { timeout: timeoutMs, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      (err, stdout) => {
        if (err) return resolve([]);
        resolve(parseNvidiaSmi(stdout));
      },
    );
  });
}

export function parseNvidiaSmi(stdout: string): TGpu[] {
  const gpus: TGpu[] = [];
  for (const line of stdout.split("\n")) {
    const parts = line.split(",").map((p) => p.trim());
    if (parts.length < 3) continue;
    const index = Number(parts[0]);
    const memoryMb = Math.round(Number(parts[parts.length - 1]));
    const model = parts.slice(1, -1).join(",");
    if (!Number.isInteger(index) || index < 0 || !Number.isFinite(memoryMb)) continue;
    gpus.push({ index, model: model.slice(0, 200), memoryMb });
  }
  return gpus;
}

/**
 * What each GPU is doing now: `nvidia-smi --query-gpu=index,utilization.gpu,memory.used
 * --format=csv,noheader,nounits` prints `0, 87, 40213` per GPU. Empty when it fails: the
 * Agents page then shows the GPUs without their load.
 */
export function readGpuUse(nvidiaSmi = "nvidia-smi", timeoutMs = 2_000): Promise<TGpuUse[]> {
  return new Promise((resolve) => {
    execFile(
      nvidiaSmi,
      ["--query-gpu=index,utilization.gpu,memory.used", "--format=csv,noheader,nounits"],
      { timeout: timeoutMs, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      (err, stdout) => resolve(err ? [] : parseGpuUse(stdout)),
    );
  });
}

export function parseGpuUse(stdout: string): TGpuUse[] {
  const out: TGpuUse[] = [];
  for (const line of stdout.split("\n")) {
    const [i, u, m] = line.split(",").map((p) => Number(p.trim()));
    // "[N/A]" (some virtualised GPUs) parses as NaN and is skipped.
    if (!Number.isInteger(i) || i! < 0 || !Number.isFinite(u) || !Number.isFinite(m)) continue;
    out.push({ index: i!, utilizationPct: Math.min(100, Math.max(0, u!)), memoryUsedMb: Math.max(0, Math.round(m!)) });
  }
  return out;
}

export function describeMachine(): { host: string; cpuCores: number; memoryMb: number } {
  return {
    host: os.hostname().slice(0, 255) || "localhost",
    cpuCores: typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length,
    memoryMb: Math.floor(os.totalmem() / 1024 / 1024),
  };
}
