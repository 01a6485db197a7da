// Team A of the S12 body test, on its own thread: building and sending megabytes must not
// run on the event loop that measures team B. Plain JavaScript (workers skip vitest's
// TypeScript transform). Posts { outcomes } when done, or { error }.
import { parentPort, workerData } from "node:worker_threads";
import { chunkedPost } from "./chunked.mjs";

const { url, cookie, orgId, projectId, rounds, maxBodyBytes, maxBatchSize } = workerData;
const MiB = 1024 * 1024;

/** 154 KB: a 75,000-item list anchored once and referenced through 99 aliases. */
function aliasBombYaml() {
  const list = `[${Array(75_000).fill("1").join(",")}]`;
  const params = Array.from({ length: 99 }, (_, i) => `  p${i + 1}: {type: categorical, choices: *a}`).join("\n");
  return `name: bomb\nobjective: {metric: loss, direction: minimize}\nspace:\n  p0: {type: categorical, choices: &a ${list}}\n${params}\n`;
}

/** Near the largest YAML spec accepted: 4 categoricals of 1,000 choices (4,000 of the 5,000 values allowed). */
function largestYaml(name) {
  const params = Array.from(
    { length: 4 },
    (_, p) => `  c${p}: {type: categorical, choices: [${Array.from({ length: 1000 }, (_, i) => `v${i}`).join(", ")}]}`,
  );
  return `name: ${name}\nobjective: {metric: loss, direction: minimize}\nsampler: {name: random}\nspace:\n${params.join("\n")}\n`;
}

/** A study.create body just under the body limit: a spec whose choice list is far past any limit. */
function fullBody() {
  const head = JSON.stringify({
    projectId,
    spec: {
      name: "big",
      objective: { metric: "loss", direction: "minimize" },
      space: { c: { type: "categorical", choices: [0] } },
    },
  });
  const items = Array.from({ length: Math.floor((maxBodyBytes - head.length - 16) / 7) }, (_, i) => 100_000 + (i % 900_000));
  const body = head.replace('"choices":[0]', `"choices":[${items.join(",")}]`);
  if (body.length > maxBodyBytes || body.length < maxBodyBytes - 64 * 1024) throw new Error(`body of ${body.length} bytes`);
  return body;
}

const headers = { "content-type": "application/json", origin: url, cookie, "x-autoglm-org": orgId };
async function post(path, body) {
  const res = await fetch(`${url}${path}`, { method: "POST", headers, body });
  await res.arrayBuffer();
  return res.status;
}
async function get(path) {
  const res = await fetch(`${url}${path}`, { headers });
  await res.arrayBuffer();
  return res.status;
}

const outcomes = {};
const note = (what, status) => (outcomes[what] ??= []).push(status);
try {
  const bomb = JSON.stringify({ projectId, yaml: aliasBombYaml() });
  const full = fullBody();
  for (let round = 0; round < rounds; round++) {
    note("alias bomb", await post("/api/trpc/study.create", bomb));
    note(
      "largest yaml",
      await post("/api/trpc/study.create", JSON.stringify({ projectId, yaml: largestYaml(`largest-${round}`) })),
    );
    note("1 MiB body", await post("/api/trpc/study.create", full));
    for (const route of ["/api/trpc/auth.signUp", "/api/trpc/project.create", "/api/auth/callback/credentials"]) {
      note("chunked 8 MiB", (await chunkedPost(url, route, { headers, total: 8 * MiB })).status);
    }
    note(
      "oversize batch",
      await get(
        `/api/trpc/${Array(maxBatchSize + 1)
          .fill("auth.me")
          .join(",")}?batch=1`,
      ),
    );
    note("full batch", await get(`/api/trpc/${Array(maxBatchSize).fill("auth.me").join(",")}?batch=1`));
  }
  parentPort.postMessage({ outcomes });
} catch (err) {
  parentPort.postMessage({ error: String(err?.stack ?? err) });
}
