import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, waitFor } from "../testing/harness.js";
import { callReplica, startTestReplica } from "../testing/serve-fixtures.js";
import type { ReplicaProcess } from "./replica-process.js";

/**
 * The replica child (dist/serve/replica-main.js: build the package first) serving the committed
 * scikit-learn MLP exported with skl2onnx (test-fixtures/make_digits_onnx.py): the labels and
 * probabilities scikit-learn gave for 10 rows come back through MLflow's and KServe v2's routes;
 * bad input is a 400 naming what is wrong and the replica keeps answering; a graph of two typed
 * inputs is fed by name; a model with a non-tensor output, or no .onnx file, is refused at load
 * with the reason.
 */

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../test-fixtures");
const expected = JSON.parse(readFileSync(path.join(fixtures, "digits-mlp.expected.json"), "utf8")) as {
  inputs: number[][];
  labels: number[];
  probabilities: number[][];
};
const secret = randomBytes(24).toString("hex");
const dirs: string[] = [];
const replicas: ReplicaProcess[] = [];
let url: string;

/** A replica of `files` (fixture name → name in the model directory): its URL, or the reason it failed. */
async function serve(files: Record<string, string>): Promise<{ url?: string; failed?: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), "autoglm-onnx-test-"));
  dirs.push(dir);
  for (const [from, to] of Object.entries(files)) copyFileSync(path.join(fixtures, from), path.join(dir, to));
  let outcome: { url?: string; failed?: string } | undefined;
  replicas.push(
    startTestReplica(dir, {
      secret,
      flavor: "onnx",
      maxRestarts: 0,
      onReady: (u) => (outcome = { url: u }),
      onFailed: (r) => (outcome = { failed: r }),
    }),
  );
  return waitFor(() => outcome, 30_000, "the replica to load or fail");
}

beforeAll(async () => {
  const started = await serve({ "digits-mlp.onnx": "model.onnx" });
  if (!started.url) throw new Error(`the ONNX replica failed: ${started.failed}`);
  url = started.url;
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop(1_000)));
  dirs.forEach(cleanup);
});

const call = (p: string, body?: unknown, headers?: Record<string, string>) =>
  callReplica(url + p, secret, {
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    headers,
  });

const infer = (body: unknown) => call("/v2/models/digits/infer", body);
const tensor = (rows: number[][], extra: Record<string, unknown> = {}) => ({
  name: "input",
  datatype: "FP32",
  shape: [rows.length, 64],
  data: rows.flat(),
  ...extra,
});

describe("an ONNX model on the MLflow and KServe v2 routes", () => {
  it("describes the session's inputs and outputs in its KServe metadata", async () => {
    const r = await call("/v2/models/digits");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      name: "digits",
      versions: ["3"],
      platform: "onnxruntime_onnx",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 64] }],
      outputs: [
        { name: "label", datatype: "INT64", shape: [-1] },
        { name: "probabilities", datatype: "FP32", shape: [-1, 10] },
      ],
    });
    expect((await call("/v2/health/ready")).status).toBe(200);
  });

  it("answers /invocations with the labels scikit-learn predicted, from JSON and CSV", async () => {
    const r = await call("/invocations", { inputs: expected.inputs });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get("x-autoglm-model-version")).toBe("3");
    expect(r.json).toEqual({ predictions: expected.labels });
    const split = await call("/invocations", { dataframe_split: { data: expected.inputs } });
    expect(split.json).toEqual({ predictions: expected.labels });
    const csv = await call("/invocations", expected.inputs.map((row) => row.join(",")).join("\n"), {
      "content-type": "text/csv",
    });
    expect(csv.json).toEqual({ predictions: expected.labels });
  });

  it("answers KServe infer with every output: scikit-learn's labels and probabilities", async () => {
    const r = await infer({ id: "req-1", inputs: [tensor(expected.inputs)] });
    expect(r.status, r.text).toBe(200);
    const outputs = r.json.outputs as Array<{ name: string; datatype: string; shape: number[]; data: number[] }>;
    expect(r.json).toMatchObject({ model_name: "digits", model_version: "3", id: "req-1" });
    expect(outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape }))).toEqual([
      { name: "label", datatype: "INT64", shape: [10] },
      { name: "probabilities", datatype: "FP32", shape: [10, 10] },
    ]);
    expect(outputs[0]!.data).toEqual(expected.labels);
    const probabilities = outputs[1]!.data;
    expected.probabilities.flat().forEach((p, i) => expect(probabilities[i]).toBeCloseTo(p, 5));

    // One output asked for, nested row-major data, FP64 numbers for the float input: all accepted.
    const one = await infer({
      inputs: [tensor(expected.inputs.slice(0, 2), { datatype: "FP64", data: expected.inputs.slice(0, 2) })],
      outputs: [{ name: "label" }],
    });
    expect(one.status, one.text).toBe(200);
    expect(one.json.outputs).toEqual([{ name: "label", datatype: "INT64", shape: [2], data: expected.labels.slice(0, 2) }]);
  });

  it("answers bad input 400 in each protocol's shape, naming what is wrong, and keeps serving", async () => {
    const row = expected.inputs[0]!;
    const mlflow: Array<[unknown, RegExp]> = [
      [{ inputs: [row.slice(1)] }, /inputs\[0\] has 63 values; the model takes 64/],
      [{ inputs: [[...row.slice(1), "x"]] }, /inputs\[0\]\[63\] must be a number, got the string "x"/],
      ["{", /not valid JSON/],
    ];
    for (const [body, message] of mlflow) {
      const r = await call("/invocations", body);
      expect(r.status, r.text).toBe(400);
      expect(r.json).toMatchObject({ error_code: "BAD_REQUEST", message: expect.stringMatching(message) });
    }
    const kserve: Array<[unknown, RegExp]> = [
      [
        { inputs: [tensor([row.slice(1)], { shape: [1, 63] })] },
        /inputs\[0\]\.shape is \[1, 63\]; input "input" takes \[-1, 64\]/,
      ],
      [{ inputs: [tensor([row], { shape: [64] })] }, /inputs\[0\]\.shape is \[64\]; input "input" takes \[-1, 64\]/],
      [
        { inputs: [tensor([row], { datatype: "BYTES" })] },
        /inputs\[0\]\.datatype the string "BYTES" does not fit input "input" \(FP32\)/,
      ],
      [
        { inputs: [tensor([row], { name: "pixels" })] },
        /inputs\[0\]\.name the string "pixels" is not an input of the model; its inputs are "input"/,
      ],
      [{ inputs: [] }, /input "input" is missing/],
      [{ inputs: [tensor([row]), tensor([row])] }, /input "input" is given twice/],
      [{ inputs: [tensor([row], { shape: [2, 64] })] }, /inputs\[0\]\.data has 64 values; shape \[2, 64\] holds 128/],
      [
        { inputs: [tensor([row], { data: [...row.slice(1), null] })] },
        /inputs\[0\]\.data\[63\] must be a finite number, got null/,
      ],
      [{ inputs: [tensor([row])], outputs: [{ name: "proba" }] }, /output "proba" is not one of label, probabilities/],
      [{ inputs: [tensor([row], { shape: [10_001, 64] })] }, /10001 rows; at most 10000/],
    ];
    for (const [body, message] of kserve) {
      const r = await infer(body);
      expect(r.status, r.text).toBe(400);
      expect(r.json).toEqual({ error: expect.stringMatching(message) });
    }
    expect((await call("/invocations", { inputs: [row] })).json).toEqual({ predictions: [expected.labels[0]] });
  });
});

describe("an ONNX model of two typed inputs", () => {
  it("takes each input by name with its own datatype, answers INT64 and BOOL tensors, and sends /invocations to KServe", async () => {
    const started = await serve({ "two-inputs.onnx": "model.onnx" });
    const at = (p: string, body?: unknown) =>
      callReplica(started.url! + p, secret, { body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await at("/v2/models/digits")).json).toMatchObject({
      inputs: [
        { name: "x", datatype: "FP32", shape: [-1, 2] },
        { name: "count", datatype: "INT64", shape: [-1, 1] },
      ],
      outputs: [
        { name: "joined", datatype: "FP32", shape: [-1, 3] },
        { name: "positive", datatype: "BOOL", shape: [-1, 1] },
      ],
    });
    const count = (data: unknown[], datatype = "INT64") => ({ name: "count", datatype, shape: [2, 1], data });
    const x = { name: "x", datatype: "FP32", shape: [2, 2], data: [1.5, 2, -1, 0] };
    const r = await at("/v2/models/digits/infer", { inputs: [count([3, 0]), x] });
    expect(r.status, r.text).toBe(200);
    expect(r.json.outputs).toEqual([
      { name: "joined", datatype: "FP32", shape: [2, 3], data: [1.5, 2, 3, -1, 0, 0] },
      { name: "positive", datatype: "BOOL", shape: [2, 1], data: [true, false] },
    ]);
    const bad: Array<[unknown[], RegExp]> = [
      [[count([1.5, 0]), x], /inputs\[0\]\.data\[0\] is 1\.5, not an int64/],
      [
        [count([1, 0], "FP32"), x],
        /inputs\[0\]\.datatype the string "FP32" does not fit input "count" \(INT64\); use INT8, .*UINT64/,
      ],
      [[count([2 ** 60, 0]), x], /not an int64 \(an integer in \[-9007199254740991, 9007199254740991\]\)/],
      [[x], /input "count" is missing; the model takes "x", "count"/],
    ];
    for (const [inputs, message] of bad) {
      const b = await at("/v2/models/digits/infer", { inputs });
      expect(b.status, b.text).toBe(400);
      expect(b.json).toEqual({ error: expect.stringMatching(message) });
    }
    const mlflow = await at("/invocations", { inputs: [[1, 2]] });
    expect(mlflow.status).toBe(400);
    expect(mlflow.json.message).toMatch(/this model takes 2 inputs; call \/v2\/models\/\{endpoint\}\/infer/);
  });
});

describe("an ONNX model a replica cannot serve", () => {
  it("refuses at load a model with a non-tensor output (skl2onnx's ZipMap), saying how to export it", async () => {
    const r = await serve({ "digits-zipmap.onnx": "model.onnx" });
    expect(r.failed).toMatch(/output "output_probability" is not a tensor .*options=\{id\(model\): \{"zipmap": False\}\}/);
  });

  it("refuses a version whose files hold no .onnx file", async () => {
    const r = await serve({ "digits-mlp.expected.json": "data.json" });
    expect(r.failed).toMatch(/the model's files hold no \.onnx file/);
  });
});
