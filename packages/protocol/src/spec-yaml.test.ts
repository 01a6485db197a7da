import { describe, expect, it } from "vitest";
import { MAX_SPEC_MESSAGE_CHARS, MAX_SPEC_VALUES } from "./spec-size.js";
import { MAX_YAML_ALIASES, parseSpecYaml } from "./spec-yaml.js";
import { parseStudySpec } from "./study-spec.js";

/** 154 KB: a 75,000-item list anchored once and referenced through 99 aliases. */
function aliasBombYaml(): string {
  const list = `[${Array(75_000).fill("1").join(",")}]`;
  const params = Array.from({ length: 99 }, (_, i) => `  p${i + 1}: {type: categorical, choices: *a}`).join("\n");
  return `name: bomb\nobjective: {metric: loss, direction: minimize}\nspace:\n  p0: {type: categorical, choices: &a ${list}}\n${params}\n`;
}

const WITH_ALIASES = `name: shared-lists
objective: {metric: loss, direction: minimize}
space:
  opt: {type: categorical, choices: &opts [sgd, adam, adamw]}
  fallback: {type: categorical, choices: *opts}
  momentum: {type: float, low: 0.5, high: 0.99, when: {opt: &momentum_opts [sgd]}}
  nesterov: {type: categorical, choices: [true, false], when: {opt: *momentum_opts}}
`;

describe("parseSpecYaml", () => {
  it("refuses the alias bomb before composing it, naming the limit", () => {
    const text = aliasBombYaml();
    expect(text.length).toBeGreaterThan(150_000);
    const r = parseSpecYaml(text);
    expect(r).toEqual({
      ok: false,
      message: `the document has more than ${MAX_SPEC_VALUES} keys and values; a study spec needs far fewer`,
    });
  });

  it("refuses expansion through aliases of a list that is small in the text", () => {
    // 2,000 items x 20 aliases: 40,000 values after expansion, 2,100 in the text.
    const list = `[${Array.from({ length: 2000 }, (_, i) => i).join(",")}]`;
    const params = Array.from({ length: 20 }, (_, i) => `  p${i + 1}: {type: categorical, choices: *a}`).join("\n");
    const r = parseSpecYaml(`name: x\nobjective: {metric: loss, direction: minimize}\nlist: &a ${list}\nspace:\n${params}\n`);
    expect(r).toEqual({
      ok: false,
      message: `aliases expand the document to more than ${MAX_SPEC_VALUES} values; a study spec needs far fewer`,
    });
  });

  it("refuses more aliases than a spec needs, and doubling alias chains", () => {
    const many = Array.from({ length: MAX_YAML_ALIASES + 1 }, (_, i) => `  k${i}: *a`).join("\n");
    expect(parseSpecYaml(`a: &a 1\nm:\n${many}\n`)).toEqual({
      ok: false,
      message: `the document has more than ${MAX_YAML_ALIASES} aliases (*name)`,
    });
    // Each level doubles the one before: 2^12 copies from 24 aliases.
    const levels = ["l0: &l0 [x, x]", ...Array.from({ length: 12 }, (_, i) => `l${i + 1}: &l${i + 1} [*l${i}, *l${i}]`)].join(
      "\n",
    );
    const r = parseSpecYaml(levels);
    expect(r.ok).toBe(false);
  });

  it("reads a spec that reuses lists through a few aliases", () => {
    const r = parseSpecYaml(WITH_ALIASES);
    expect(r.ok).toBe(true);
    const spec = parseStudySpec(r.ok ? r.value : null);
    expect(spec.ok).toBe(true);
    if (spec.ok) {
      expect(spec.spec.space.fallback).toEqual({ type: "categorical", choices: ["sgd", "adam", "adamw"] });
      expect(spec.spec.space.nesterov!.when).toEqual({ opt: ["sgd"] });
    }
  });

  it("caps a long error message and keeps its position", () => {
    // An unresolved alias quotes its 20,000-character name.
    const r = parseSpecYaml(`name: x\nspace: *${"n".repeat(20_000)}\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message.length).toBeLessThanOrEqual(MAX_SPEC_MESSAGE_CHARS);
      expect(r.message).toMatch(/^Unresolved alias/);
      expect(r.message.endsWith("…")).toBe(true);
    }
    const syntax = parseSpecYaml(`name: x\nspace: {a: [1,\n`);
    expect(syntax.ok === false && syntax.line).toBeGreaterThan(1);
  });

  it("refuses a repeated key at its line, as the old strict parser did", () => {
    expect(parseSpecYaml("name: a\nspace: {}\nname: b\n")).toEqual({
      ok: false,
      message: 'map key "name" appears twice',
      line: 3,
      col: 1,
    });
  });
});

describe("spec error messages", () => {
  it("lists the first issues and counts the rest, within the cap", () => {
    const space = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, { type: "float", low: 1, high: 0 }]));
    const r = parseStudySpec({ name: "x", objective: { metric: "loss", direction: "minimize" }, space });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message.length).toBeLessThanOrEqual(MAX_SPEC_MESSAGE_CHARS);
      expect(r.message).toMatch(/^space\.p0\.low: must not be greater than high; /);
      expect(r.message).toMatch(/ \(and \d+ more\)$/);
    }
  });

  it("refuses a spec of more values than the limit before validating them, and NUL anywhere in it", () => {
    const big = {
      name: "x",
      objective: { metric: "loss", direction: "minimize" },
      space: { c: { type: "categorical", choices: Array.from({ length: 250_000 }, (_, i) => i) } },
    };
    const r = parseStudySpec(big);
    expect(r.ok === false && r.message).toBe(
      `(spec): has more than ${MAX_SPEC_VALUES} values (parameters, choices, options); a study spec needs far fewer`,
    );
    const nul = parseStudySpec({
      name: "x",
      objective: { metric: "loss", direction: "minimize" },
      space: { c: { type: "categorical", choices: ["a", "b\u0000"] } },
    });
    expect(nul.ok === false && nul.message).toBe("space.c.choices.1: must not contain a NUL character (\\u0000)");
  });
});
