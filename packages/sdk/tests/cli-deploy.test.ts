/**
 * `autoglm deploy` and `autoglm endpoint …` against the whole platform (the built server as a
 * child process, a real agent): the agent trains a builtin MLP on digits, `deploy --json` prints
 * the endpoint's URL and key, and a POST to `<url>/invocations` with that key answers predictions
 * served by a replica on the agent. The human output's curl line runs as printed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cli, run } from "./helpers/run.js";
import { startLivePlatform, type LivePlatform } from "./helpers/platform.js";

let p: LivePlatform;
let env: Record<string, string>;
let out: string;
let studyId: string;
const ROW = Array.from({ length: 64 }, (_, i) => (i * 7) % 17);

/** A deploy waits for a replica to load: longer than `cli`'s 60 s bound on a loaded machine. */
const deploy = (args: string[]) => run(process.execPath, [CLI, "deploy", ...args], { env, timeoutMs: 180_000 });

async function invoke(url: string, key: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/invocations`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ inputs: [ROW, ROW] }),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

beforeAll(async () => {
  p = await startLivePlatform();
  out = await mkdtemp(join(tmpdir(), "autoglm-deploy-out-"));
  env = { AUTOGLM_SERVER: p.url, AUTOGLM_TOKEN: p.token, AUTOGLM_CONFIG: join(out, "config.json") };
  ({ id: studyId } = await p.client.studies.create({
    projectId: p.projectId,
    yaml: `name: digits-serve
objective: {metric: val_accuracy, direction: maximize}
space:
  lr: {type: float, low: 0.005, high: 0.02, log: true}
sampler: {name: random, seed: 3}
budget: {max_trials: 1, max_parallel: 1}
run:
  builtin: {trainer: mlp, dataset: digits, epochs: 2, params: {hidden: 16, batch_size: 64}}
  timeout_minutes: 5
`,
  }));
  await p.startAgent();
  for (const deadline = Date.now() + 180_000; ; await new Promise((r) => setTimeout(r, 500))) {
    const page = await p.client.trials.list({ studyId });
    if (page.items.some((t) => t.state === "complete")) break;
    if (Date.now() > deadline) throw new Error(`the trial did not complete: ${JSON.stringify(page.items.map((t) => t.state))}`);
  }
}, 240_000);

afterAll(async () => {
  await p?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

describe("autoglm deploy", () => {
  let deployed: { url: string; key: string; model: string; version: number; protocols: string[] };

  it("deploy --json waits for a ready replica and prints a URL and key that answer predictions", async () => {
    const r = await deploy(["--study", studyId, "--name", "digits", "--timeout", "150", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    deployed = JSON.parse(r.stdout);
    expect(Object.keys(deployed).sort()).toEqual(["key", "model", "protocols", "url", "version"]);
    expect(deployed).toMatchObject({ url: `${p.url}/serve/models/digits`, model: "digits-serve", version: 1 });
    expect(deployed.protocols).toEqual(["mlflow", "kserve-v2"]);
    expect(deployed.key).toMatch(/^agl_/);
    // Progress went to stderr, never the key.
    expect(r.stderr).toContain("ready");
    expect(r.stderr).not.toContain(deployed.key);
    const answer = await invoke(deployed.url, deployed.key);
    expect(answer.status).toBe(200);
    const predictions = (answer.body as { predictions: unknown[] }).predictions;
    expect(predictions).toHaveLength(2);
    for (const c of predictions) expect(Number.isInteger(c) && (c as number) >= 0 && (c as number) <= 9).toBe(true);
  }, 200_000);

  it("endpoint list and show give the model, the ready replica, the version history and the key", async () => {
    const list = await cli(["endpoint", "list"], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^digits\\s+digits-serve@production → v1\\s+1/1\\s+${p.url}/serve/models/digits$`, "m"),
    );
    const show = await cli(["endpoint", "show", "digits", "--json"], env);
    const e = JSON.parse(show.stdout) as {
      replicas: Array<{ state: string }>;
      revisions: unknown[];
      keys: Array<{ prefix: string }>;
    };
    expect(e.replicas.map((r) => r.state)).toContain("ready");
    expect(e.revisions).toHaveLength(1);
    expect(deployed.key.startsWith(e.keys[0]!.prefix)).toBe(true);
    expect(show.stdout).not.toContain(deployed.key);
  });

  it("endpoint update sets replicas and autoscaling; show prints them; a target ≤ 0 is refused and changes nothing", async () => {
    const up = await cli(
      ["endpoint", "update", "digits", "--max", "3", "--target-concurrency", "2", "--scale-down-delay", "30s", "--json"],
      env,
    );
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({
      minReplicas: 1,
      maxReplicas: 3,
      autoscale: { targetConcurrency: 2, scaleDownDelaySeconds: 30 },
      scaling: { desiredReplicas: 1 },
    });
    const bad = await cli(["endpoint", "update", "digits", "--target-concurrency", "0"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("autoscale.targetConcurrency: must be greater than 0");
    const show = await cli(["endpoint", "show", "digits"], env);
    expect(show.stdout).toContain("autoscale: target 2 in flight per replica, scale down after 30 s");
    expect(show.stdout).toMatch(/scaling: 1 desired, concurrency \d+\.\d, \d+\.\d req\/s/);
  });

  it("the curl line a deploy prints runs as printed; key create gives a key it takes, key revoke shuts it out", async () => {
    const again = await deploy(["--study", studyId, "--name", "digits"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`URL:       ${deployed.url}`);
    // The endpoint existed: no new key, so the curl line names the variable holding one.
    const curl = again.stdout.slice(again.stdout.indexOf("curl -sS"));
    expect(curl).toContain("$AUTOGLM_ENDPOINT_KEY");
    const created = await cli(["endpoint", "key", "create", "digits", "--json"], env);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; prefix: string };
    const ran = await run("sh", ["-c", curl], { env: { AUTOGLM_ENDPOINT_KEY: key.key } });
    expect(ran.code, ran.stderr).toBe(0);
    expect((JSON.parse(ran.stdout) as { predictions: unknown[] }).predictions).toHaveLength(1);

    const revoked = await cli(["endpoint", "key", "revoke", "digits", key.prefix], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(key.id);
    expect((await invoke(deployed.url, key.key)).status).toBe(401);
    expect((await invoke(deployed.url, deployed.key)).status).toBe(200);
  }, 200_000);

  it("endpoint delete frees the name: its key stops working", async () => {
    const del = await cli(["endpoint", "delete", "digits"], env);
    expect(del.code, del.stderr).toBe(0);
    const answer = await invoke(deployed.url, deployed.key);
    expect([401, 404]).toContain(answer.status);
    expect(JSON.stringify(answer.body)).not.toContain("predictions");
  });
});
