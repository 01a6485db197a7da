import { spawn, type ChildProcess } from "node:child_process";
import {
  copyFileSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@autoglm/sdk";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenInUi, signUp } from "./ui-flows.js";
import { launchBrowser, openAgentDir, repoRoot, resultsDir, startPlatform, type Platform } from "./harness.js";

// A team's own server (flavor `command`) deployed from a study whose trials write a linear model and
// serve.mjs; then version 2, whose stored model.json was changed in the artifact store, is refused:
// the endpoint page says "Version 2 refused: … file "model.json" …" and that version 1 keeps
// serving, and requests keep getting version 1's answers.

const dir = openAgentDir("autoglm-e2e-command-");
const dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-e2e-command-data-"));
const STUDY_YAML = `name: own-server
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
budget: {max_trials: 2, max_parallel: 1}
run:
  command: /bin/sh ${path.join(dir, "train.sh")}
serve:
  command: node serve.mjs --port {port}
`;

let platform: Platform;
let browser: Browser | null;
const contexts: BrowserContext[] = [];
let agent: ChildProcess | undefined;

beforeAll(async () => {
  copyFileSync(path.join(repoRoot, "packages/agent/test-fixtures/team-server.mjs"), path.join(dir, "serve.mjs"));
  writeFileSync(
    path.join(dir, "train.sh"),
    `cp ${path.join(dir, "serve.mjs")} "$AUTOGLM_OUTPUT_DIR/serve.mjs"
echo "{\\"weights\\": [1, 1], \\"bias\\": $AUTOGLM_TRIAL_NUMBER}" > "$AUTOGLM_OUTPUT_DIR/model.json"
echo "{\\"autoglm\\": 1, \\"final\\": {\\"loss\\": $AUTOGLM_TRIAL_NUMBER}}"
`,
    { mode: 0o755 },
  );
  // The artifact store is <data dir>/artifacts: known here so the test can change a stored file.
  platform = await startPlatform("deploy-command", [], { env: { AUTOGLM_DATA_DIR: dataDir } });
  browser = await launchBrowser();
});

afterAll(async () => {
  agent?.kill("SIGKILL");
  for (const c of contexts) await c.close();
  await browser?.close();
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

function startAgent(token: string): ChildProcess {
  mkdirSync(path.join(resultsDir, "logs"), { recursive: true });
  const log = createWriteStream(path.join(resultsDir, "logs", "e2e-deploy-command-agent.log"));
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, "packages/agent/dist/cli.js"),
      ...["--server", platform.url, "--name", "own-box", "--max-trials", "1", "--no-gpus"],
      ...["--work-dir", path.join(dir, "work")],
    ],
    { cwd: dir, env: { ...process.env, AUTOGLM_TOKEN: token, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

/** The stored file of one trial by name (keys are team/project/study/trial/attempt/name). */
function storedFile(trialId: string, name: string): string {
  const found = (readdirSync(path.join(dataDir, "artifacts"), { recursive: true }) as string[]).find(
    (p) => p.includes(trialId) && path.basename(p) === name,
  );
  if (!found) throw new Error(`no stored ${name} of trial ${trialId}`);
  return path.join(dataDir, "artifacts", found);
}

describe("a team's own model server", () => {
  it("serves through the gateway, and the endpoint page says why a version with a changed file was refused", async (ctx) => {
    if (!browser) return ctx.skip();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    contexts.push(context);
    const page = await context.newPage();
    await signUp(page, platform.url, { email: `omar-${Date.now()}@example.com`, name: "Omar", team: "Own Servers" });
    const token = await createTokenInUi(page, platform.url, { name: "own", agent: true });
    const client = createClient({ server: platform.url, token });
    const project = await client.projects.create({ name: "own" });
    const study = await client.studies.create({ projectId: project.id, yaml: STUDY_YAML });
    agent = startAgent(token);
    await expect
      .poll(async () => (await client.studies.get(study.id)).state, { timeout: 120_000, interval: 1_000 })
      .toBe("completed");

    const deployed = await client.deploy({ studyId: study.id, name: "own-server" });
    expect(deployed).toMatchObject({ version: 1, protocols: ["mlflow"] });
    const invoke = async () => {
      const res = await fetch(`${deployed.url}/invocations`, {
        method: "POST",
        headers: { authorization: `Bearer ${deployed.key}`, "content-type": "application/json" },
        body: JSON.stringify({ inputs: [[1, 2]] }),
      });
      return { status: res.status, version: res.headers.get("x-autoglm-model-version"), body: await res.json() };
    };
    const trials = (await client.trials.list({ studyId: study.id })).items.sort((a, b) => a.number - b.number);
    expect(await invoke()).toEqual({ status: 200, version: "1", body: { predictions: [3 + trials[0]!.number] } });

    await client.models.register({ trialId: trials[1]!.id, name: deployed.model });
    const stored = storedFile(trials[1]!.id, "model.json");
    const bytes = readFileSync(stored);
    bytes[0] = 0x20; // "{" → " ": the same size, another SHA-256
    writeFileSync(stored, bytes);
    await client.models.setAlias(deployed.model, "production", 2);

    await page.goto(`${platform.url}/endpoints/own-server`);
    const note = page.locator('[data-testid="endpoint-refusal"]');
    await expect
      .poll(async () => (await note.count()) > 0 && (await note.textContent()), { timeout: 60_000, interval: 1_000 })
      .toContain("it is tried again after");
    const text = (await note.textContent())!;
    expect(text).toMatch(/^Version 2 refused: refused to load own-server version 2: file "model\.json": /);
    expect(text).toContain("no longer matches its recorded SHA-256");
    expect(text).toContain("Version 1 keeps serving.");
    expect(text).toContain("Stopped starting v2 after 3 failures in the last hour");
    await page.screenshot({ path: path.join(resultsDir, "deploy-command-refused.png") });
    expect(await page.locator('[data-testid="replica-row"][data-state="ready"]').count()).toBe(1);
    expect(await invoke()).toMatchObject({ status: 200, version: "1" });
  }, 420_000);
});
