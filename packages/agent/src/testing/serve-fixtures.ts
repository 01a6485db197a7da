import { writeFileSync } from "node:fs";
import path from "node:path";
import { train } from "@autoglm/native";
import { loadDiabetes, loadDigits } from "@autoglm/native/data";
import { silentLogger } from "@autoglm/protocol";
import { ReplicaProcess } from "../serve/replica-process.js";
import type { TLoadableFlavor } from "../serve/model-loader.js";

/** The digits set (1,797 × 64, 10 classes) and a small MLP trained on it for 2 epochs (≈ 50 ms), saved as the builtin runner saves it. */
export async function writeDigitsMlp(dir: string): Promise<{ x: Float32Array; y: Float32Array; rows: number; cols: number }> {
  const digits = loadDigits();
  const { model } = await train({
    model: "mlp",
    config: { task: "classification", epochs: 2, width: 32, layers: 1, seed: 1 },
    data: { x: digits.x, y: digits.y, rows: digits.rows },
  }).done;
  if (!model) throw new Error("training gave no model");
  await model.save(path.join(dir, "model.safetensors"));
  writeFileSync(
    path.join(dir, "builtin.json"),
    JSON.stringify({ trainer: "mlp", dataset: "digits", kind: "mlp", config: model.config, paramCount: model.paramCount }),
  );
  return digits;
}

/** A linear regression (the `glm` trainer on diabetes: an MLP with no hidden layer), 442 × 10, saved with its builtin.json. */
export async function writeDiabetesGlm(dir: string): Promise<{ x: Float32Array; rows: number }> {
  const d = loadDiabetes();
  const { model } = await train({
    model: "mlp",
    config: { task: "regression", layers: 0, epochs: 5, seed: 1 },
    data: { x: d.x, y: d.y, rows: d.rows },
  }).done;
  if (!model) throw new Error("training gave no model");
  await model.save(path.join(dir, "model.safetensors"));
  writeFileSync(
    path.join(dir, "builtin.json"),
    JSON.stringify({ trainer: "glm", dataset: "diabetes", kind: "linear", config: model.config }),
  );
  return d;
}

export interface TestReplicaOptions {
  secret: string;
  onReady(url: string): void;
  onFailed(reason: string): void;
  maxRestarts?: number;
  flavor?: TLoadableFlavor;
}

/** A replica child of endpoint "digits", model "digits-mlp" version 3, serving `modelDir` on 127.0.0.1. */
export function startTestReplica(modelDir: string, o: TestReplicaOptions): ReplicaProcess {
  const p = new ReplicaProcess({
    config: {
      modelDir,
      flavor: o.flavor ?? "builtin-mlp",
      endpoint: "digits",
      model: "digits-mlp",
      version: 3,
      secret: o.secret,
      host: "127.0.0.1",
    },
    gpus: [],
    agentEnv: process.env,
    envAllowlist: [],
    logger: silentLogger,
    maxRestarts: o.maxRestarts ?? 3,
    startTimeoutMs: 30_000,
    onReady: o.onReady,
    onFailed: o.onFailed,
  });
  p.start();
  return p;
}

export interface ReplicaAnswer {
  status: number;
  text: string;
  json: Record<string, unknown>;
  headers: Headers;
}

/** One request to a replica with its secret (JSON unless `headers` say otherwise); the body parsed when it is JSON. */
export async function callReplica(
  url: string,
  secret: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<ReplicaAnswer> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    body: init.body,
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", ...init.headers },
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, text, json: json as Record<string, unknown>, headers: res.headers };
}
