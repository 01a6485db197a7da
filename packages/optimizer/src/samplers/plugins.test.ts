import { afterEach, describe, expect, it } from "vitest";
import { createOptimizer, type OptimizerError, type TSpace } from "../index.js";
import { registerSampler, samplerPluginNames, unregisterSampler } from "./plugins.js";

const EXAMPLE = new URL("../../examples/local-search-sampler.mjs", import.meta.url);
const space: TSpace = {
  x: { type: "float", low: -5, high: 5 },
  y: { type: "float", low: -5, high: 5 },
  opt: { type: "categorical", choices: ["a", "b"] },
};
const loss = (p: Record<string, unknown>) =>
  ((p.x as number) - 1.3) ** 2 + ((p.y as number) + 2.1) ** 2 + (p.opt === "b" ? 0 : 1);
const err = (f: () => unknown): OptimizerError => {
  try {
    f();
  } catch (e) {
    return e as OptimizerError;
  }
  throw new Error("expected an error");
};

afterEach(() => {
  for (const n of samplerPluginNames()) unregisterSampler(n);
});

describe("sampler plugins", () => {
  it("a study uses the example plugin by name, with its options, and records it as the proposer", async () => {
    const mod = (await import(EXAMPLE.href)) as { default: unknown };
    registerSampler(mod.default, EXAMPLE.pathname);
    const run = (name: string) => {
      const opt = createOptimizer({ space, sampler: name === "random" ? { name, seed: 1 } : { name, seed: 1, scale: 0.05 } });
      const by = new Set<string>();
      for (let i = 0; i < 80; i++) {
        const t = opt.ask();
        by.add(t.proposedBy);
        opt.tell(t.id, loss(t.params));
      }
      return { best: opt.best()!.value as number, by: [...by] };
    };
    const local = run("local-search");
    expect(local.by).toEqual(["local-search"]);
    // A local search around the best trial: far closer to the optimum than random search.
    expect(local.best).toBeLessThan(0.05);
    expect(local.best).toBeLessThan(run("random").best);
  });

  it("the plugin's own option checks reach the user, named after it", async () => {
    registerSampler(((await import(EXAMPLE.href)) as { default: unknown }).default, EXAMPLE.pathname);
    expect(err(() => createOptimizer({ space, sampler: { name: "local-search", scale: 3 } })).message).toBe(
      "sampler local-search: scale must be a number in (0, 1]",
    );
  });

  it("an unknown name lists the built-in and registered samplers", () => {
    expect(err(() => createOptimizer({ space, sampler: { name: "my-sampler" } })).message).toBe(
      'sampler.name: must be one of random, grid, tpe, gp, cmaes, nsga2, auto (got "my-sampler"); no sampler plugins are registered',
    );
    registerSampler({ name: "other", create: () => ({ sample: () => ({ x: 0, y: 0, opt: "a" }) }) }, "/plugins/other.mjs");
    const e = err(() => createOptimizer({ space, sampler: { name: "my-sampler" } }));
    expect(e.code).toBe("INVALID_CONFIG");
    expect(e.message).toBe('sampler.name: must be one of random, grid, tpe, gp, cmaes, nsga2, auto, other (got "my-sampler")');
  });

  it.each([
    [null, "sampler plugin /p.mjs: exports no sampler plugin (a default export or `sampler`: { name, create })"],
    [
      { create: () => ({}) },
      "sampler plugin /p.mjs: name must be 2-40 lowercase letters, digits or dashes, starting with a letter (got undefined)",
    ],
    [{ name: "tpe", create: () => ({}) }, 'sampler plugin /p.mjs: name "tpe" is a built-in sampler\'s'],
    [{ name: "mine" }, 'sampler plugin /p.mjs: "mine" has no create(options, context) function'],
    [{ name: "mine", create: () => ({}), portfolio: "yes" }, 'sampler plugin /p.mjs: "mine".portfolio must be a boolean'],
  ])("refuses a module that is not a plugin, naming it and what is missing (%#)", (plugin, message) => {
    expect(err(() => registerSampler(plugin, "/p.mjs")).message).toBe(message);
    expect(samplerPluginNames()).toEqual([]);
  });

  it("refuses a second module with a taken name; the same module again is harmless", () => {
    const plugin = { name: "mine", create: () => ({ sample: () => ({ x: 0, y: 0, opt: "a" }) }) };
    registerSampler(plugin, "/a.mjs");
    registerSampler(plugin, "/a.mjs");
    expect(err(() => registerSampler(plugin, "/b.mjs")).message).toBe(
      'sampler plugin /b.mjs: name "mine" is already registered by /a.mjs',
    );
  });

  it("a plugin's params are checked against the space before they are stored", () => {
    registerSampler({ name: "sloppy", create: () => ({ sample: () => ({ x: 99, y: 0, opt: "a" }) }) }, "/s.mjs");
    registerSampler({ name: "empty", create: () => ({}) }, "/e.mjs");
    const opt = createOptimizer({ space, sampler: { name: "sloppy", seed: 0 } });
    expect(err(() => opt.ask()).message).toMatch(/^sampler sloppy.*x/);
    expect(opt.trials()).toEqual([]);
    expect(err(() => createOptimizer({ space, sampler: { name: "empty" } })).message).toBe(
      'sampler plugin "empty": create() returned no object with a sample(ctx) function',
    );
  });
});
