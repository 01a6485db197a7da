import { describe, expect, it } from "vitest";
import { OptimizerError } from "./errors.js";
import { checkParams, compileSpace, fromUnit, sampleRandom, toUnit, validateSpace } from "./space.js";
import { Rng } from "./rng.js";

function errorOf(fn: () => unknown): OptimizerError {
  try {
    fn();
  } catch (e) {
    if (e instanceof OptimizerError) return e;
    throw e;
  }
  throw new Error("expected an OptimizerError");
}

describe("validateSpace", () => {
  it.each([
    [{}, "space: must define at least one parameter"],
    [null, "space: must be an object"],
    [{ lr: { type: "float", low: 0, high: 1, log: true } }, "space.lr: low must be > 0 when log is true"],
    [{ x: { type: "float", low: 2, high: 1 } }, "space.x: low (2) must be <= high (1)"],
    [{ x: { type: "float", low: 1, high: 1 } }, "space.x: low equals high"],
    [{ x: { type: "float", low: 0, high: Number.NaN } }, "space.x: high must be a finite number"],
    [{ x: { type: "int", low: 0.5, high: 3 } }, "space.x: low must be an integer"],
    [{ x: { type: "int", low: 0, high: 10, step: 3 } }, "space.x: high - low (10) must be a multiple of step (3)"],
    [{ x: { type: "float", low: 1, high: 10, log: true, step: 1 } }, "space.x: step cannot be combined with log"],
    [{ x: { type: "float", low: 0, high: 1, step: -1 } }, "space.x: step must be a positive finite number"],
    [{ c: { type: "categorical", choices: [] } }, "space.c: choices must not be empty"],
    [{ c: { type: "categorical", choices: ["a", "a"] } }, 'space.c: duplicate choice "a"'],
    [{ c: { type: "categorical", choices: [{}] } }, "space.c: choices must be strings, finite numbers or booleans"],
    [{ x: { type: "real", low: 0, high: 1 } }, 'space.x: type must be "float", "int" or "categorical"'],
    [{ x: { type: "float", low: 0, high: 1, when: { nope: "a" } } }, 'space.x.when: refers to unknown parameter "nope"'],
    [
      { o: { type: "categorical", choices: ["a"] }, x: { type: "float", low: 0, high: 1, when: { o: "b" } } },
      'space.x.when.o: "b" is not a possible value of "o"',
    ],
    [
      {
        a: { type: "categorical", choices: [1, 2], when: { b: 1 } },
        b: { type: "categorical", choices: [1, 2], when: { a: 1 } },
      },
      "circular condition",
    ],
    [{ x: { type: "float", low: 0, high: 1, lowe: 3 } }, 'space.x: unknown field "lowe"'],
  ])("rejects %j", (space, message) => {
    const e = errorOf(() => validateSpace(space));
    expect(e.code).toBe("INVALID_SPACE");
    expect(e.message).toContain(message);
  });

  it("accepts the study spec's shapes and orders parents before children", () => {
    const space = {
      momentum: { type: "float", low: 0.5, high: 0.99, when: { opt: ["sgd"] } },
      opt: { type: "categorical", choices: ["sgd", "adam"] },
      n: { type: "int", low: 1, high: 32, log: true },
      p: { type: "float", low: 0, high: 1, step: 0.1 },
    } as const;
    expect(() => validateSpace(space)).not.toThrow();
    const c = compileSpace(space);
    expect(c.dims.map((d) => d.name)).toEqual(["opt", "momentum", "n", "p"]);
    expect(c.isConditional).toBe(true);
  });
});

describe("unit encoding", () => {
  const c = compileSpace({
    n: { type: "int", low: 1, high: 32, log: true },
    p: { type: "float", low: 0, high: 1, step: 0.1 },
    lr: { type: "float", low: 1e-5, high: 1e-1, log: true },
    k: { type: "categorical", choices: ["a", "b", "c"] },
  });
  const [n, p, lr, k] = ["n", "p", "lr", "k"].map((x) => c.byName.get(x)!);

  it("round-trips every int and step value", () => {
    for (let v = 1; v <= 32; v++) expect(fromUnit(n!, toUnit(n!, v))).toBe(v);
    for (let i = 0; i <= 10; i++) expect(fromUnit(p!, toUnit(p!, i / 10))).toBe(Number((i / 10).toPrecision(12)));
    for (const ch of ["a", "b", "c"]) expect(fromUnit(k!, toUnit(k!, ch))).toBe(ch);
  });

  it("maps log floats geometrically and clamps to the bounds", () => {
    expect(fromUnit(lr!, 0.5) as number).toBeCloseTo(1e-3, 10);
    expect(fromUnit(lr!, 0)).toBe(1e-5);
    expect(fromUnit(lr!, 1)).toBe(1e-1);
  });

  it("gives each int value equal mass under uniform sampling", () => {
    const q = compileSpace({ q: { type: "int", low: 0, high: 3 } });
    const counts = [0, 0, 0, 0];
    const rng = new Rng(7);
    for (let i = 0; i < 8000; i++) counts[sampleRandom(q, rng).q as number]!++;
    for (const x of counts) expect(x).toBeGreaterThan(1800);
  });
});

describe("checkParams", () => {
  const c = compileSpace({
    opt: { type: "categorical", choices: ["sgd", "adam"] },
    m: { type: "float", low: 0, high: 1, when: { opt: "sgd" } },
  });
  it("accepts active params and rejects inactive, unknown, missing or out-of-range ones", () => {
    expect(checkParams(c, { opt: "adam" }, "t")).toEqual({ opt: "adam" });
    expect(() => checkParams(c, { opt: "adam", m: 0.5 }, "t")).toThrow(/inactive/);
    expect(() => checkParams(c, { opt: "sgd" }, "t")).toThrow(/missing parameter "m"/);
    expect(() => checkParams(c, { opt: "sgd", m: 2 }, "t")).toThrow(/outside/);
    expect(() => checkParams(c, { opt: "sgd", m: 0.1, z: 1 }, "t")).toThrow(/unknown parameter "z"/);
  });
});
