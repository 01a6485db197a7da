import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { devices } from "../index.js";

const indexUrl = new URL("../index.js", import.meta.url).href;

test("devices() always lists the CPU and explains CUDA", () => {
  const d = devices();
  assert.equal(d.devices[0].kind, "cpu");
  assert.ok(d.devices[0].threads >= 1);
  assert.ok(["cpu", "cuda"].includes(d.selected));
  assert.equal(typeof d.cuda.driver, "boolean");
  if (d.selected === "cpu" && !d.devices.some((x) => x.kind === "cuda")) assert.match(d.cuda.error ?? "", /\S/);
  console.log(JSON.stringify(d));
});

function childDevices(env) {
  const r = spawnSync(
    process.execPath,
    ["--input-type=module", "-e", `import { devices } from ${JSON.stringify(indexUrl)}; console.log(JSON.stringify(devices()))`],
    {
      env: { ...process.env, ...env },
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return { report: JSON.parse(r.stdout.trim().split("\n").at(-1)), stderr: r.stderr };
}

test("AUTOGLM_DEVICE=cpu forces the CPU backend, with a log line", () => {
  const { report, stderr } = childDevices({ AUTOGLM_DEVICE: "cpu" });
  assert.equal(report.selected, "cpu");
  assert.match(stderr, /\[autoglm-native\] AUTOGLM_DEVICE=cpu/);
});

test(
  "AUTOGLM_DEVICE=cuda without a usable GPU falls back to the CPU with a clear log line",
  { skip: devices().cuda.error ? false : "a CUDA device is present" },
  () => {
    const { report, stderr } = childDevices({ AUTOGLM_DEVICE: "cuda" });
    assert.equal(report.selected, "cpu");
    assert.match(stderr, /AUTOGLM_DEVICE=cuda but CUDA is unusable .*falling back to the CPU backend/);
  },
);
