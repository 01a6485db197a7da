import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createOptimizer, samplerPluginNames } from "@autoglm/optimizer";
import { loadedSamplerPlugins, loadSamplerPlugins } from "./sampler-plugins.js";
import { OptimizerPool } from "./optimizer-pool.js";

const EXAMPLE = fileURLToPath(new URL("../../optimizer/examples/local-search-sampler.mjs", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "autoglm-sampler-plugins-"));
const pool = new OptimizerPool({ route: "worker" });
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("loadSamplerPlugins", () => {
  it("refuses a module it cannot use, naming it and what is wrong, and registers nothing from it", async () => {
    const notPlugin = path.join(dir, "not-a-plugin.mjs");
    writeFileSync(notPlugin, "export const answer = 42;\n");
    const noCreate = path.join(dir, "no-create.mjs");
    writeFileSync(noCreate, 'export default { name: "half-done" };\n');
    await expect(loadSamplerPlugins(["plugins/mine.mjs"])).rejects.toThrow(
      "sampler plugin plugins/mine.mjs: the path must be absolute",
    );
    await expect(loadSamplerPlugins([path.join(dir, "missing.mjs")])).rejects.toThrow(
      `sampler plugin ${path.join(dir, "missing.mjs")}: could not be loaded (`,
    );
    await expect(loadSamplerPlugins([notPlugin])).rejects.toThrow(
      `sampler plugin ${notPlugin}: exports no sampler plugin (a default export or \`sampler\`: { name, create })`,
    );
    await expect(loadSamplerPlugins([noCreate])).rejects.toThrow(
      `sampler plugin ${noCreate}: "half-done" has no create(options, context) function`,
    );
    expect(samplerPluginNames()).toEqual([]);
    expect(loadedSamplerPlugins()).toEqual([]);
  });

  it("registers the example by its name, here and in the pool's workers", async () => {
    expect(await loadSamplerPlugins([EXAMPLE])).toEqual(["local-search"]);
    expect(loadedSamplerPlugins()).toEqual([EXAMPLE]);
    const config = {
      space: { x: { type: "float" as const, low: 0, high: 1 } },
      sampler: { name: "local-search", seed: 1, scale: 0.1 },
    };
    const history = [{ id: 0, params: { x: 0.25 }, state: "complete" as const, value: 1 }];
    const asked = await pool.run({ kind: "ask", config, id: 1 }, history);
    expect(asked.proposedBy).toBe("local-search");
    const here = createOptimizer(config);
    here.addTrial(history[0]!);
    expect(here.ask({ id: 1 })).toEqual({ id: 1, ...asked });
  });
});
