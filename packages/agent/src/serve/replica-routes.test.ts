import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadModel } from "@autoglm/native";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, waitFor } from "../testing/harness.js";
import { callReplica, startTestReplica, writeDiabetesGlm, writeDigitsMlp } from "../testing/serve-fixtures.js";
import { replicaMainPath, type ReplicaProcess } from "./replica-process.js";

/**
 * The replica child (dist/serve/replica-main.js: build the package first) on a real builtin
 * MLP trained here: every MLflow and KServe v2 route over real HTTP, each bad input answered
 * 4xx in its protocol's shape with the replica still answering, the gateway's secret required.
 */

let dir: string;
let digits: Awaited<ReturnType<typeof writeDigitsMlp>>;
let replica: ReplicaProcess;
let url: string;
const secret = randomBytes(24).toString("hex");
const readies: string[] = [];
const failures: string[] = [];
let expected: number[];

function start(
  modelDir: string,
  onReady: (u: string) => void,
  onFailed: (r: string) => void,
  maxRestarts = 3,
  flavor: "builtin-mlp" | "builtin-glm" = "builtin-mlp",
): ReplicaProcess {
  return startTestReplica(modelDir, { secret, onReady, onFailed, maxRestarts, flavor });
}

beforeAll(async () => {
  expect(replicaMainPath()).toMatch(/dist\/serve\/replica-main\.js$/);
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-replica-test-"));
  digits = await writeDigitsMlp(dir);
  const model = await loadModel(path.join(dir, "model.safetensors"));
  expected = Array.from(await model.predictClasses(digits.x.subarray(0, 3 * 64), 3));
  replica = start(
    dir,
    (u) => readies.push(u),
    (r) => failures.push(r),
  );
  url = await waitFor(() => readies[0], 30_000, "replica ready");
});

afterAll(async () => {
  await replica?.stop(1_000);
  if (dir) cleanup(dir);
});

const row = (i: number) => Array.from(digits.x.subarray(i * 64, (i + 1) * 64));
const auth = () => ({ authorization: `Bearer ${secret}` });
const call = (p: string, init?: Parameters<typeof callReplica>[2]) => callReplica(url + p, secret, init);

describe("MLflow scoring routes", () => {
  it("answers ping, health and version, each with the model's name and version in headers", async () => {
    for (const p of ["/ping", "/health"]) {
      const r = await call(p);
      expect(r.status).toBe(200);
      expect(r.headers.get("x-autoglm-model-version")).toBe("3");
      expect(r.headers.get("x-autoglm-model")).toBe("digits-mlp");
    }
    expect((await call("/version")).json).toEqual({ model: "digits-mlp", version: 3 });
  });

  it("predicts the classes the model gives in-process, from every input form", async () => {
    const rows = [row(0), row(1), row(2)];
    const columns = rows[0]!.map((_, c) => `pixel_${c}`);
    const bodies = [
      { inputs: rows },
      { instances: rows },
      { inputs: { input: rows } },
      { dataframe_split: { columns, data: rows } },
      { dataframe_records: rows.map((r) => Object.fromEntries(r.map((v, c) => [columns[c], v]))) },
    ];
    for (const body of bodies) {
      const r = await call("/invocations", { body: JSON.stringify(body) });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toEqual({ predictions: expected });
    }
    const csv = `${columns.join(",")}\n${rows.map((r) => r.join(",")).join("\n")}\n`;
    const r = await call("/invocations", { body: csv, headers: { "content-type": "text/csv" } });
    expect(r.json).toEqual({ predictions: expected });
  });

  it("answers bad input 400 in MLflow's shape, naming what is wrong", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["{", "application/json", /not valid JSON/],
      [
        JSON.stringify({ inputs: [row(0)], instances: [row(0)] }),
        "application/json",
        /exactly one of .* got inputs and instances/,
      ],
      [JSON.stringify({}), "application/json", /must have one of inputs/],
      [JSON.stringify({ data: [row(0)] }), "application/json", /unknown field "data"/],
      [JSON.stringify({ inputs: [row(0).slice(1)] }), "application/json", /inputs\[0\] has 63 values; the model takes 64/],
      [
        JSON.stringify({ inputs: [[...row(0).slice(1), "x"]] }),
        "application/json",
        /inputs\[0\]\[63\] must be a number, got the string "x"/,
      ],
      [JSON.stringify({ inputs: [] }), "application/json", /no rows/],
      [JSON.stringify({ inputs: Array.from({ length: 10_001 }, () => row(0)) }), "application/json", /10001 rows; at most 10000/],
      [
        JSON.stringify({ dataframe_split: { columns: ["a"], data: [row(0)] } }),
        "application/json",
        /must list 64 columns, got 1/,
      ],
      [JSON.stringify({ dataframe_records: [{ a: 1 }] }), "application/json", /has 1 columns; the model takes 64/],
      ["1,2,3\n", "text/csv", /CSV row 1 has 3 values; the model takes 64/],
    ];
    for (const [body, type, message] of cases) {
      const r = await call("/invocations", { body, headers: { "content-type": type } });
      expect(r.status, body.slice(0, 60)).toBe(400);
      expect(r.json.error_code).toBe("BAD_REQUEST");
      expect(r.json.message).toMatch(message);
      expect(r.json).not.toHaveProperty("predictions");
    }
    const wrongType = await call("/invocations", { body: "x", headers: { "content-type": "text/plain" } });
    expect([wrongType.status, wrongType.json.message]).toEqual([415, expect.stringMatching(/application\/json or text\/csv/)]);
    const big = await call("/invocations", { body: " ".repeat(10 * 1024 * 1024 + 1) });
    expect([big.status, big.json.error_code]).toEqual([413, "REQUEST_LIMIT_EXCEEDED"]);
    expect((await call("/invocations", { body: JSON.stringify({ inputs: [row(0)] }) })).json).toEqual({
      predictions: [expected[0]],
    });
  });
});

describe("KServe v2 routes", () => {
  it("answers health, server and model metadata", async () => {
    expect((await call("/v2/health/live")).json).toEqual({ live: true });
    expect((await call("/v2/health/ready")).json).toEqual({ ready: true });
    expect((await call("/v2/models/digits/ready")).status).toBe(200);
    expect((await call("/v2/models/digits")).json).toEqual({
      name: "digits",
      versions: ["3"],
      platform: "autoglm-builtin",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 64] }],
      outputs: [
        { name: "predictions", datatype: "INT64", shape: [-1] },
        { name: "probabilities", datatype: "FP32", shape: [-1, 10] },
      ],
    });
  });

  it("infers typed tensors (flat or nested data, every numeric datatype) and names the version", async () => {
    const data = [...row(0), ...row(1), ...row(2)];
    for (const datatype of ["FP32", "FP64", "INT32", "INT64"]) {
      const body = {
        id: "r1",
        inputs: [{ name: "input", shape: [3, 64], datatype, data: datatype.startsWith("INT") ? data.map(Math.round) : data }],
      };
      const r = await call("/v2/models/digits/infer", { body: JSON.stringify(body) });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ model_name: "digits", model_version: "3", id: "r1" });
      const outputs = r.json.outputs as Array<{ name: string; shape: number[]; data: number[] }>;
      expect(outputs.map((o) => [o.name, o.shape])).toEqual([
        ["predictions", [3]],
        ["probabilities", [3, 10]],
      ]);
      if (datatype === "FP32") expect(outputs[0]!.data).toEqual(expected);
    }
    const nested = {
      inputs: [{ name: "input", shape: [3, 64], datatype: "FP32", data: [row(0), row(1), row(2)] }],
      outputs: [{ name: "predictions" }],
    };
    const r = await call("/v2/models/digits/versions/3/infer", { body: JSON.stringify(nested) });
    expect(r.json.outputs).toEqual([{ name: "predictions", datatype: "INT64", shape: [3], data: expected }]);
  });

  it("answers bad tensors 400 with {error}, unknown models 404, and still infers afterwards", async () => {
    const t = (over: Record<string, unknown>) =>
      JSON.stringify({ inputs: [{ name: "input", shape: [1, 64], datatype: "FP32", data: row(0), ...over }] });
    const cases: Array<[string, RegExp]> = [
      [t({ shape: [1, 63] }), /shape is \[1, 63\]; the model takes \[-1, 64\]/],
      [t({ shape: [2, 64] }), /data has 64 values; shape \[2, 64\] holds 128/],
      [t({ datatype: "BYTES" }), /datatype the string "BYTES" is not accepted; use one of FP32, FP64, INT32, INT64/],
      [t({ datatype: "INT32", data: row(0).map((v) => v + 0.5) }), /data\[0\] is 0.5, not an INT32/],
      [t({ data: [...row(0).slice(1), null] }), /data\[63\] must be a finite FP32 number, got null/],
      [t({ shape: [10_001, 64] }), /10001 rows; at most 10000/],
      [JSON.stringify({ inputs: [] }), /exactly one tensor, got 0 tensors/],
      [
        JSON.stringify({
          inputs: [{ name: "input", shape: [1, 64], datatype: "FP32", data: row(0) }],
          outputs: [{ name: "logits" }],
        }),
        /output "logits" is not one of predictions, probabilities/,
      ],
      ["[", /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const r = await call("/v2/models/digits/infer", { body });
      expect(r.status, body.slice(0, 80)).toBe(400);
      expect(Object.keys(r.json)).toEqual(["error"]);
      expect(r.json.error).toMatch(message);
    }
    const other = await call("/v2/models/other/infer", { body: t({}) });
    expect([other.status, other.json.error]).toEqual([404, expect.stringMatching(/"other" .* not served here/)]);
    const garbled = await call("/v2/models/%E0%A4%A/infer", { body: t({}) });
    expect([garbled.status, garbled.json.error]).toEqual([404, expect.stringMatching(/"%E0%A4%A" .* not served here/)]);
    const big = await call("/v2/models/digits/infer", { body: " ".repeat(10 * 1024 * 1024 + 1) });
    expect([big.status, Object.keys(big.json)]).toEqual([413, ["error"]]);
    expect((await call("/v2/models/digits/infer", { body: t({}) })).status).toBe(200);
  });
});

it("answers 401 without model output to a missing or wrong secret, on every route", async () => {
  for (const p of ["/ping", "/invocations", "/v2/health/ready", "/v2/models/digits", "/v2/models/digits/infer"]) {
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${secret}x`, secret]) {
      const res = await fetch(url + p, {
        method: p.endsWith("infer") || p === "/invocations" ? "POST" : "GET",
        headers: authorization ? { authorization, "content-type": "application/json" } : { "content-type": "application/json" },
        body: p.endsWith("infer") || p === "/invocations" ? JSON.stringify({ inputs: [row(0)] }) : undefined,
      });
      const text = await res.text();
      expect(res.status, `${p} ${authorization}`).toBe(401);
      expect(text).not.toMatch(/predictions|outputs/);
      expect(text).toMatch(p.startsWith("/v2") ? /^\{"error":/ : /"error_code":"UNAUTHENTICATED"/);
    }
  }
});

it("serves a builtin-glm regression (a linear model): values per row on both protocols", async () => {
  const glmDir = mkdtempSync(path.join(tmpdir(), "autoglm-replica-glm-"));
  try {
    const d = await writeDiabetesGlm(glmDir);
    const rows = [0, 1].map((i) => Array.from(d.x.subarray(i * 10, (i + 1) * 10)));
    const want = Array.from(await (await loadModel(path.join(glmDir, "model.safetensors"))).predict(d.x.subarray(0, 20), 2));
    const ready: string[] = [];
    const p = start(
      glmDir,
      (u) => ready.push(u),
      () => {},
      0,
      "builtin-glm",
    );
    const base = await waitFor(() => ready[0], 30_000, "ready");
    const post = async (route: string, body: unknown) => {
      const res = await fetch(base + route, {
        method: "POST",
        headers: { ...auth(), "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await post("/invocations", { inputs: rows })).toEqual({ predictions: want });
    const infer = await post("/v2/models/digits/infer", {
      inputs: [{ name: "input", shape: [2, 10], datatype: "FP64", data: rows.flat() }],
    });
    expect(infer.outputs).toEqual([{ name: "predictions", datatype: "FP32", shape: [2], data: want }]);
    expect((await post("/invocations", { inputs: [rows[0]!.slice(1)] })).message).toBe(
      "inputs[0] has 9 values; the model takes 10",
    );
    await p.stop(1_000);
  } finally {
    cleanup(glmDir);
  }
});
