// Shared by the GPU scripts: run a short glm training in a child process with a chosen
// AUTOGLM_DEVICE (the backend is chosen once per process) and return its per-step losses.
import { spawnSync } from "node:child_process";

const indexUrl = new URL("../index.js", import.meta.url).href;
const dataUrl = new URL("../data.js", import.meta.url).href;

export function trainInChild(device, config, { steps = 60, timeoutMs = 300_000 } = {}) {
  const script = `
    import { train, devices } from ${JSON.stringify(indexUrl)};
    import { loadShakespeare } from ${JSON.stringify(dataUrl)};
    const losses = [];
    const { summary } = await train({ model: "glm", config: ${JSON.stringify({ steps, ...config })}, data: { text: loadShakespeare() }, onStep: (m) => losses.push(m.loss) }).done;
    console.log(JSON.stringify({ selected: devices().selected, summary, losses }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, AUTOGLM_DEVICE: device },
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`child (${device}) failed: ${r.stderr}`);
  return { ...JSON.parse(r.stdout.trim().split("\n").at(-1)), stderr: r.stderr };
}

/** Same for mlp on the digits set: per-step losses from a child with the given device. */
export function trainMlpInChild(device, config, { timeoutMs = 300_000 } = {}) {
  const script = `
    import { train, devices } from ${JSON.stringify(indexUrl)};
    import { loadDigits } from ${JSON.stringify(dataUrl)};
    const d = loadDigits();
    const losses = [];
    const { summary } = await train({ model: "mlp", config: ${JSON.stringify(config)}, data: { x: d.x, y: d.y, rows: d.rows }, onStep: (m) => losses.push(m.loss) }).done;
    console.log(JSON.stringify({ selected: devices().selected, summary, losses }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, AUTOGLM_DEVICE: device },
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`child (${device}) failed: ${r.stderr}`);
  return { ...JSON.parse(r.stdout.trim().split("\n").at(-1)), stderr: r.stderr };
}
