// S7/S12: specs and requests that cost the server far more than their size, refused up front
// with a precise BAD_REQUEST and nothing stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countGridPoints } from "@autoglm/optimizer";
import {
  gridPointCount,
  MAX_GRID_POINTS,
  MAX_SPEC_MESSAGE_CHARS,
  MAX_SPEC_VALUES,
  MAX_TRPC_BATCH_SIZE,
  type TSpace,
} from "@autoglm/protocol";
import { AppError, describeZodIssues } from "../src/index.js";
import { closeSpecYamlPool } from "../src/spec-yaml-pool.js";
import { makeWorld, rowCounts, SPEC, type World } from "./fixture.js";
import { startServer } from "./http.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
});
afterAll(async () => {
  await closeSpecYamlPool();
  await w?.close();
});

const floats = (n: number): TSpace =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, { type: "float" as const, low: 0, high: 1 }]));

/** A call that must be refused as BAD_REQUEST without changing any table; returns the message a client sees. */
async function refused(fn: () => Promise<unknown>): Promise<string> {
  const before = await rowCounts(w.db);
  const err = await fn().then(
    () => null,
    (e: unknown) => e as { code?: string; cause?: { issues?: Parameters<typeof describeZodIssues>[0] } },
  );
  expect(err).not.toBeNull();
  expect(err?.code).toBe("BAD_REQUEST");
  expect(await rowCounts(w.db)).toEqual(before);
  // What the error formatter puts in `userMessage` on the wire.
  if (err instanceof AppError) return err.userMessage;
  return describeZodIssues(err?.cause?.issues ?? []);
}

/** 154 KB: a 75,000-item list anchored once and referenced through 99 aliases. */
function aliasBombYaml(): string {
  const list = `[${Array(75_000).fill("1").join(",")}]`;
  const params = Array.from({ length: 99 }, (_, i) => `  p${i + 1}: {type: categorical, choices: *a}`).join("\n");
  return `name: bomb\nobjective: {metric: loss, direction: minimize}\nspace:\n  p0: {type: categorical, choices: &a ${list}}\n${params}\n`;
}

describe("grid specs", () => {
  it("refuses 62 continuous axes at grid_size 100000 (the point count overflows to Infinity)", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const spec = { ...SPEC, name: "grid-overflow", space: floats(62), sampler: { name: "grid" as const, grid_size: 100_000 } };
    const message = await refused(() => owner.study.create({ projectId: w.A.projectId, spec }));
    expect(message).toBe(
      "sampler.grid_size: the grid over 62 parameters at 100000 points per axis has about 10^310 points, " +
        `more than the ${MAX_GRID_POINTS} a grid may have: lower grid_size, search fewer parameters, or use another sampler (random, tpe)`,
    );
    const yaml = `name: grid-overflow\nobjective: {metric: loss, direction: minimize}\nsampler: {name: grid, grid_size: 100000}\nspace:\n${Object.keys(
      floats(62),
    )
      .map((k) => `  ${k}: {type: float, low: 0, high: 1}`)
      .join("\n")}\n`;
    expect(await refused(() => owner.study.create({ projectId: w.A.projectId, yaml }))).toBe(message);
  });

  it("accepts a grid within the bound, and counts points as the optimizer does", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const { id } = await owner.study.create({
      projectId: w.A.projectId,
      spec: { ...SPEC, name: "grid-ok", sampler: { name: "grid", grid_size: 50 } },
    });
    expect(id).toBeTruthy();
    const spaces: TSpace[] = [
      SPEC.space,
      floats(3),
      {
        n: { type: "int", low: 0, high: 994, step: 7 },
        lr: { type: "float", low: 1e-4, high: 1, log: true },
        d: { type: "float", low: 0, high: 0.5, step: 0.05 },
      },
      { c: { type: "categorical", choices: ["a", "b", "c"] }, w: { type: "int", low: 16, high: 1024, log: true } },
    ];
    for (const space of spaces)
      for (const size of [1, 4, 10, 37]) expect(gridPointCount(space, size).points).toBe(countGridPoints(space, size));
  });
});

describe("YAML specs", () => {
  it("refuses the alias bomb with a precise message, storing nothing", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const message = await refused(() => owner.study.create({ projectId: w.A.projectId, yaml: aliasBombYaml() }));
    expect(message).toBe(`yaml: the document has more than ${MAX_SPEC_VALUES} keys and values; a study spec needs far fewer`);
  });

  it("accepts a spec that reuses a choice list through aliases", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const yaml = `name: aliases
objective: {metric: loss, direction: minimize}
space:
  opt: {type: categorical, choices: &opts [sgd, adam]}
  fallback: {type: categorical, choices: *opts}
`;
    const { id } = await owner.study.create({ projectId: w.A.projectId, yaml });
    const study = await owner.study.get({ studyId: id });
    expect((study.spec as { space: Record<string, unknown> }).space.fallback).toEqual({
      type: "categorical",
      choices: ["sgd", "adam"],
    });
  });

  it("caps a long YAML error, keeping its position", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const message = await refused(() =>
      owner.study.create({ projectId: w.A.projectId, yaml: `name: x\nspace: *${"n".repeat(20_000)}\n` }),
    );
    expect(message.length).toBeLessThanOrEqual(MAX_SPEC_MESSAGE_CHARS);
    expect(message).toMatch(/^yaml: Unresolved alias/);
    const syntax = await refused(() => owner.study.create({ projectId: w.A.projectId, yaml: "name: x\nspace: {a: [1,\n" }));
    expect(syntax).toMatch(/^yaml: line \d+, column \d+: /);
  });

  it("refuses a JSON spec of more values than the limit before validating each", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const spec = {
      ...SPEC,
      space: { c: { type: "categorical" as const, choices: Array.from({ length: 250_000 }, (_, i) => i) } },
    };
    expect(await refused(() => owner.study.create({ projectId: w.A.projectId, spec }))).toBe(
      `spec: has more than ${MAX_SPEC_VALUES} values (parameters, choices, options); a study spec needs far fewer`,
    );
  });
});

describe("NUL characters", () => {
  it("are refused in any stored string, naming the field", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    expect(await refused(() => owner.project.create({ name: "lab\u0000" }))).toBe(
      "name: must not contain a NUL character (\\u0000)",
    );
    expect(await refused(() => owner.token.create({ name: "ci\u0000", scopes: ["read"] }))).toBe(
      "name: must not contain a NUL character (\\u0000)",
    );
    const spec = { ...SPEC, space: { ...SPEC.space, act: { type: "categorical" as const, choices: ["relu", "ta\u0000nh"] } } };
    expect(await refused(() => owner.study.create({ projectId: w.A.projectId, spec }))).toBe(
      "space.act.choices.1: must not contain a NUL character (\\u0000)",
    );
    const keyed = { ...SPEC, run: { command: "true", env: { "K\u0000": "v" } } };
    expect(await refused(() => owner.study.create({ projectId: w.A.projectId, spec: keyed }))).toBe(
      "run.env.K\\u0000: must not contain a NUL character (\\u0000)",
    );
  });
});

describe("tRPC batches over HTTP", () => {
  it(`answer a batch of more than ${MAX_TRPC_BATCH_SIZE} calls with a 400 naming the limit, and serve one of ${MAX_TRPC_BATCH_SIZE}`, async () => {
    const srv = await startServer(w.deps);
    try {
      const batch = (n: number) =>
        fetch(`${srv.url}/${Array(n).fill("org.list").join(",")}?batch=1`, {
          headers: { authorization: `Bearer ${w.A.token}` },
        });
      const ok = await batch(MAX_TRPC_BATCH_SIZE);
      expect(ok.status).toBe(200);
      expect((await ok.json()) as unknown[]).toHaveLength(MAX_TRPC_BATCH_SIZE);
      const big = await batch(MAX_TRPC_BATCH_SIZE + 1);
      expect(big.status).toBe(400);
      expect(((await big.json()) as { error: { data: { userMessage: string } } }).error.data.userMessage).toBe(
        `A batch may hold at most ${MAX_TRPC_BATCH_SIZE} calls; this one has ${MAX_TRPC_BATCH_SIZE + 1}. Send fewer calls per request.`,
      );
    } finally {
      await srv.close();
    }
  });
});

describe("error messages", () => {
  it("cap what they quote of a long key", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const key = "k".repeat(100_000);
    const spec = { ...SPEC, space: { ...SPEC.space, [key]: { type: "float" as const, low: 0, high: 1 } } };
    const message = await refused(() => owner.study.create({ projectId: w.A.projectId, spec }));
    expect(message.length).toBeLessThanOrEqual(300);
    expect(message).toMatch(/^space\.kkkk/);
  });
});
