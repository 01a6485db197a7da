import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createClient } from "@autoglm/sdk";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenInUi, signUp } from "./ui-flows.js";
import { launchBrowser, openAgentDir, repoRoot, resultsDir, startPlatform, type Platform } from "./harness.js";

// The model registry in the dashboard: a builtin mlp study on digits runs on a real agent
// process, the best trial's files are listed, "Register best" makes version 1 of a model whose
// page shows its lineage and digest, the alias `production` moves to it, and a file downloaded
// from the model page has the SHA-256 the page lists. A viewer sees Move alias disabled.

// Two trials of two epochs: about 10 s of CPU on the agent, enough for a best and its files.
const MLP_YAML = `name: digits-mlp
objective: {metric: accuracy, direction: maximize}
space:
  learning_rate: {type: float, low: 2.0e-3, high: 1.0e-2, log: true}
  width: {type: int, low: 16, high: 32}
sampler: {name: random, seed: 3}
budget: {max_trials: 2, max_parallel: 2}
run:
  builtin: {trainer: mlp, dataset: digits, epochs: 2}
`;

const dir = openAgentDir("autoglm-e2e-models-");
let platform: Platform;
let browser: Browser | null;
const contexts: BrowserContext[] = [];
let agent: ChildProcess | undefined;

beforeAll(async () => {
  platform = await startPlatform("model-registry");
  browser = await launchBrowser();
});

afterAll(async () => {
  agent?.kill("SIGKILL");
  for (const c of contexts) await c.close();
  await browser?.close();
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function newPerson(name: string, team: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  await signUp(page, platform.url, { email: `${name.toLowerCase()}-${Date.now()}@example.com`, name, team });
  return page;
}

function startAgent(token: string): ChildProcess {
  mkdirSync(path.join(resultsDir, "logs"), { recursive: true });
  const log = createWriteStream(path.join(resultsDir, "logs", "e2e-model-registry-agent.log"));
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, "packages/agent/dist/cli.js"),
      ...["--server", platform.url, "--name", "digits-box", "--max-trials", "2", "--no-gpus"],
      ...["--work-dir", path.join(dir, "work")],
    ],
    { cwd: dir, env: { ...process.env, AUTOGLM_TOKEN: token, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

/** The manifest digest as README "Model registry" defines it, recomputed here from what the page lists. */
function manifestDigest(files: Array<{ name: string; size: number; sha256: string }>): string {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const canonical = JSON.stringify(sorted.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })));
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

/** Whether axis labels are evenly spaced multiples of one step of 1, 2 or 5 times a power of ten. */
function roundScale(labels: number[]): boolean {
  const v = [...labels].sort((a, b) => a - b);
  if (v.length < 2 || v.some((x) => !Number.isFinite(x))) return false;
  const step = v[1]! - v[0]!;
  const mantissa = step / 10 ** Math.floor(Math.log10(step));
  const near = (x: number) => Math.abs(x - Math.round(x)) < 1e-6;
  return (
    [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6) && v.every((x, i) => near(x / step) && near((x - v[0]!) / step - i))
  );
}

describe("model registry in the dashboard", () => {
  it("registers a study's best mlp, shows lineage and digest, moves an alias, and downloads a verified file", async (ctx) => {
    if (!browser) return ctx.skip();
    const owner = await newPerson("Owen", "Digits Lab");
    const token = await createTokenInUi(owner, platform.url, { name: "digits", agent: true });
    const client = createClient({ server: platform.url, token });
    const project = await client.projects.create({ name: "digits" });

    // A study with no finished trial has no best; one whose best was told by a program has no files.
    const told = await client.studies.create({
      projectId: project.id,
      yaml: "name: told\nobjective: {metric: loss, direction: minimize}\nspace:\n  x: {type: float, low: 0, high: 1}\nbudget: {max_trials: 2}\n",
    });
    await owner.goto(`${platform.url}/studies/${told.id}`);
    await owner.waitForSelector('[data-testid="register-best"]:disabled');
    expect(await owner.textContent('[data-testid="register-best-reason"]')).toBe(
      "No trial has finished with a value yet, so there is no best trial to register.",
    );
    const asked = await client.trials.ask(told.id);
    await client.trials.tell(asked.trialId, 0.5);
    await owner.waitForSelector(
      `[data-testid="register-best-reason"]:text-is("The best trial (#${asked.number}) uploaded no files; a model is made of a trial's files.")`,
      { timeout: 20_000 },
    );

    // The mlp study on a real agent process.
    const study = await client.studies.create({ projectId: project.id, yaml: MLP_YAML });
    agent = startAgent(token);
    await owner.goto(`${platform.url}/studies/${study.id}`);
    await expect
      .poll(() => owner.locator('[data-testid="trial-row"][data-state="complete"]').count(), {
        timeout: 120_000,
        interval: 1_000,
      })
      .toBe(2);
    const best = (await client.studies.get(study.id)).best!;
    expect(best).not.toBeNull();
    // On a log scale the history's axis spans the accuracies (all under a decade apart) at round
    // values, instead of the decade 0.1 … 1 with every point in its top tenth.
    await owner.check('[data-testid="log-scale"]');
    const historyTicks = owner.locator('[data-testid="history-chart"] .recharts-yAxis-tick-labels text');
    await expect.poll(() => historyTicks.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    const logLabels = (await historyTicks.allTextContents()).map(Number);
    expect(roundScale(logLabels)).toBe(true);
    expect(Math.min(...logLabels)).toBeGreaterThan(0.1);

    // The best trial's files are listed with their SHA-256.
    await owner.goto(`${platform.url}/studies/${study.id}/trials/${best.trialId}`);
    await expect
      .poll(() => owner.locator('[data-testid="trial-crumbs"]').textContent(), { timeout: 20_000 })
      .toBe("Projects / digits / digits-mlp /");
    // The intermediate values' axis reads at round values, whatever the accuracies were.
    const yTicks = owner.locator('[data-testid="intermediate-chart"] .recharts-yAxis-tick-labels text');
    await expect.poll(() => yTicks.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(roundScale((await yTicks.allTextContents()).map(Number))).toBe(true);
    const weights = owner.locator('[data-testid="artifact-row"][data-name="model.safetensors"]').first();
    await weights.waitFor({ timeout: 30_000 });
    await owner.waitForSelector('[data-testid="artifact-row"][data-name="builtin.json"]');
    const listedSha = (await weights.locator('[data-testid="artifact-sha256"]').getAttribute("data-sha256"))!;
    expect(listedSha).toMatch(/^[0-9a-f]{64}$/);
    await owner.waitForSelector('[data-testid="register-model"]');

    // Register best from the study page.
    await owner.goto(`${platform.url}/studies/${study.id}`);
    await owner.click('[data-testid="register-best"]:enabled', { timeout: 30_000 });
    expect(await owner.inputValue('[data-testid="register-name"]')).toBe("digits-mlp");
    await owner.screenshot({ path: path.join(resultsDir, "register-dialog.png") });
    await owner.click('[data-testid="register-submit"]');
    await owner.waitForSelector('[data-testid="register-done"]:has-text("Registered version 1 of digits-mlp")', {
      timeout: 30_000,
    });
    await owner.click('[data-testid="register-model-link"]');
    await owner.waitForURL("**/models/digits-mlp", { timeout: 20_000 });

    // Version 1 with its lineage (study and trial links) and the manifest's digest.
    const row = owner.locator('[data-testid="version-row"][data-version="1"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.locator('[data-testid="lineage-study"]').textContent()).toBe("digits-mlp");
    expect(await row.locator('[data-testid="lineage-study"]').getAttribute("href")).toBe(`/studies/${study.id}`);
    expect(await row.locator('[data-testid="lineage-trial"]').textContent()).toBe(`trial #${best.number}`);
    expect(await row.locator('[data-testid="lineage-trial"]').getAttribute("href")).toBe(
      `/studies/${study.id}/trials/${best.trialId}`,
    );
    expect(await row.locator('[data-testid="version-metrics"] .chip').first().getAttribute("data-metric")).toBe("accuracy");
    const files = await owner.locator('[data-testid="version-file"]').evaluateAll((rows) =>
      rows.map((r) => ({
        name: r.getAttribute("data-name")!,
        size: Number(r.querySelector("td[title]")!.getAttribute("title")!.replace(" bytes", "")),
        sha256: r.querySelector('[data-testid="version-file-sha256"]')!.textContent!,
      })),
    );
    expect(files.map((f) => f.name)).toEqual(["builtin.json", "model.safetensors"]);
    expect(files.find((f) => f.name === "model.safetensors")!.sha256).toBe(listedSha);
    const digest = (await row.locator('[data-testid="version-digest"]').getAttribute("data-sha256"))!;
    expect(digest).toBe(manifestDigest(files));
    expect(await row.locator('[data-testid="version-digest"]').textContent()).toBe(digest.slice(0, 12));

    // Move alias `production` to version 1; the header's badges follow.
    await owner.fill('[data-testid="move-alias-name"]', "production");
    await owner.selectOption('[data-testid="move-alias-version"]', "1");
    await owner.click('[data-testid="move-alias-submit"]');
    await owner.waitForSelector('[data-testid="move-alias-done"]:has-text("production now points at v1 (new alias).")');
    await owner.waitForSelector('.page-head [data-testid="alias-badge"][data-alias="production"][data-version="1"]');

    // Members edit the model's description and tags; the header shows them.
    await owner.click('[data-testid="model-edit"]');
    await owner.fill('[data-testid="model-edit-description"]', "Digits classifier from the demo study");
    await owner.fill('[data-testid="model-edit-tags"]', "tabular, digits");
    await owner.click('[data-testid="model-edit-save"]');
    await owner.waitForSelector('[data-testid="model-description"]:has-text("Digits classifier from the demo study")');
    expect(await owner.locator('[data-testid="model-tag"]').allTextContents()).toEqual(["tabular", "digits"]);

    // Deleting the aliased version is refused with the server's sentence.
    await owner.click('[data-testid="delete-version"]');
    await owner.click('[data-testid="delete-version-confirm"]');
    await owner.waitForSelector(
      '[data-testid="delete-version-error"]:has-text("cannot be deleted while alias \\"production\\" points at it")',
    );

    // Download through the model page's link: the bytes hash to the listed SHA-256.
    const [download] = await Promise.all([
      owner.waitForEvent("download"),
      owner.click('[data-testid="version-file"][data-name="model.safetensors"] [data-testid="version-file-download"]'),
    ]);
    const saved = await download.path();
    expect(createHash("sha256").update(readFileSync(saved)).digest("hex")).toBe(listedSha);
    await owner.screenshot({ path: path.join(resultsDir, "model-page.png"), fullPage: true });

    // The other trial, registered from its own page, is version 2; a bad name first gets the server's sentence.
    const other = (await client.trials.list({ studyId: study.id, limit: 10 })).items.find((t) => t.id !== best.trialId)!;
    await owner.goto(`${platform.url}/studies/${study.id}/trials/${other.id}`);
    await owner.click('[data-testid="register-model"]', { timeout: 30_000 });
    await owner.fill('[data-testid="register-name"]', "digits/mlp");
    await owner.click('[data-testid="register-submit"]');
    expect(await owner.textContent('[data-testid="register-error"]', { timeout: 20_000 })).toBe(
      'name: must be letters, digits, ".", "_" and "-", starting with a letter or digit (no "/" or "@")',
    );
    await owner.fill('[data-testid="register-name"]', "digits-mlp");
    await owner.click('[data-testid="register-submit"]');
    await owner.waitForSelector('[data-testid="register-done"]:has-text("Registered version 2 of digits-mlp")', {
      timeout: 30_000,
    });
    await owner.click('[data-testid="register-model-link"]');
    await owner.waitForSelector('[data-testid="version-row"][data-version="2"]', { timeout: 20_000 });

    // Side by side: the two trials' learning rates differ and are highlighted; both versions are on the chart.
    const lr = owner.locator('[data-testid="compare-row"][data-kind="param"][data-name="learning_rate"]');
    await lr.waitFor({ timeout: 20_000 });
    expect(await lr.getAttribute("data-differs")).toBe("true");
    expect(await owner.locator('[data-testid="compare-row"][data-kind="metric"][data-name="accuracy"]').count()).toBe(1);
    expect(await owner.getAttribute('[data-testid="objective-card"]', "data-points")).toBe("2");

    // The models list shows it with its latest version, alias and best metric.
    await owner.goto(`${platform.url}/models`);
    const listed = owner.locator('[data-testid="model-row"][data-model="digits-mlp"]');
    await listed.waitFor({ timeout: 20_000 });
    expect(await listed.locator('[data-testid="model-latest"]').textContent()).toBe("v2 of 2");
    expect(await listed.locator('[data-testid="model-best"]').textContent()).toMatch(/^accuracy 0\.\d+ \(v1\)$/);
    await listed.locator('[data-testid="alias-badge"][data-alias="production"]').waitFor();

    // A viewer of the team reads the model but sees Move alias disabled, with the reason.
    await owner.goto(`${platform.url}/settings/members`);
    await owner.selectOption('[data-testid="invite-role"]', "viewer");
    await owner.click('[data-testid="create-invite"]');
    const link = await owner.inputValue('[data-testid="invite-reveal-value"]', { timeout: 30_000 });
    const viewer = await newPerson("Vera", "Vera's Team");
    await viewer.goto(link);
    await viewer.click('[data-testid="accept-invite"]');
    await viewer.waitForURL(/\/projects$/, { timeout: 30_000 });
    await viewer.goto(`${platform.url}/models/digits-mlp`);
    await viewer.waitForSelector('[data-testid="version-row"][data-version="1"]', { timeout: 20_000 });
    expect(await viewer.isDisabled('[data-testid="move-alias-submit"]')).toBe(true);
    expect(await viewer.isDisabled('[data-testid="move-alias-name"]')).toBe(true);
    expect(await viewer.isDisabled('[data-testid="remove-alias"]')).toBe(true);
    expect(await viewer.textContent('[data-testid="move-alias-disabled-reason"]')).toBe(
      "Viewers can read and download models; moving or removing an alias needs the member role.",
    );
    expect(await viewer.locator('[data-testid="delete-version"]').count()).toBe(0);
    expect(await viewer.locator('[data-testid="model-edit"]').count()).toBe(0);
  }, 240_000);
});
