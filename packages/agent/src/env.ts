import { scrubTokens } from "@autoglm/logging";
import { RUN_COOKIE_ENV } from "./process-sweep.js";

/**
 * A trial's environment is built from nothing (S8): only these variables of the agent's own
 * environment pass through (no tokens, no DATABASE_URL, no AUTH_SECRET), then the study's
 * `run.env`, then the AUTOGLM_* variables and CUDA_VISIBLE_DEVICES, which `run.env` cannot
 * override.
 */
export const DEFAULT_ENV_ALLOWLIST = [
  "PATH",
  "HOME",
  "LANG",
  "LANGUAGE",
  "TZ",
  "USER",
  "LOGNAME",
  "SHELL",
  "TMPDIR",
  "TERM",
  "LD_LIBRARY_PATH",
  "CUDA_HOME",
  "CUDA_PATH",
  "VIRTUAL_ENV",
  "CONDA_PREFIX",
  "PYTHONPATH",
  // @autoglm/native's knobs for builtin trials (device choice, host memory cap, CPU threads).
  "AUTOGLM_DEVICE",
  "AUTOGLM_MAX_MEMORY_MB",
  "AUTOGLM_QUIET",
  "RAYON_NUM_THREADS",
];

export interface TrialEnvInput {
  agentEnv: NodeJS.ProcessEnv;
  allowlist?: string[];
  studyEnv?: Record<string, string>;
  params: Record<string, unknown>;
  trialId: string;
  studyId: string;
  attempt: number;
  number: number;
  outputDir: string;
  resumeFrom: string | null;
  gpus: number[];
  /** Set when the trial runs as another user (its HOME is the output dir). */
  home?: string;
  /** Marks the attempt's processes so leftovers can be found (process-sweep.ts). */
  cookie?: string;
}

export function buildTrialEnv(input: TrialEnvInput): Record<string, string> {
  const allow = new Set([...DEFAULT_ENV_ALLOWLIST, ...(input.allowlist ?? [])]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.agentEnv)) {
    if (v === undefined) continue;
    if (allow.has(k) || k.startsWith("LC_")) env[k] = v;
  }
  for (const [k, v] of Object.entries(input.studyEnv ?? {})) {
    if (k.startsWith("AUTOGLM_") || k === "CUDA_VISIBLE_DEVICES") continue;
    env[k] = v;
  }
  if (input.home) env.HOME = input.home;
  env.PYTHONUNBUFFERED = "1";
  env.AUTOGLM_PARAMS = JSON.stringify(input.params);
  env.AUTOGLM_TRIAL_ID = input.trialId;
  env.AUTOGLM_STUDY_ID = input.studyId;
  env.AUTOGLM_ATTEMPT = String(input.attempt);
  env.AUTOGLM_TRIAL_NUMBER = String(input.number);
  env.AUTOGLM_OUTPUT_DIR = input.outputDir;
  if (input.resumeFrom) env.AUTOGLM_RESUME_FROM = input.resumeFrom;
  if (input.cookie) env[RUN_COOKIE_ENV] = input.cookie;
  // Always set: an empty list hides every GPU from a trial that asked for none.
  env.CUDA_VISIBLE_DEVICES = input.gpus.join(",");
  return env;
}

/** Redacts API tokens (`agl_…`, the logger's own scrubber) and any extra secret from log text (S10). */
export function redact(text: string, secrets: string[] = []): string {
  let out = scrubTokens(text);
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join("[REDACTED]");
  return out;
}
