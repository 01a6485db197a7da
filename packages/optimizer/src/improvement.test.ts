import { describe, expect, it } from "vitest";
import { createOptimizer } from "./optimizer.js";
import { compileSpace } from "./space.js";
import { regretBound, IMPROVEMENT_MIN_TRIALS } from "./improvement.js";
import type { TrialView } from "./trial.js";

const space = compileSpace({ x: { type: "float", low: -5, high: 5 } });
const view = (xs: number[], f: (x: number) => number): TrialView[] =>
  xs.map((x, id) => ({ id, params: { x }, state: "complete", loss: [f(x)], intermediate: [], constraints: null }));
const square = (x: number) => x * x;

describe("improvement left (regret bound)", () => {
  it("is small once the optimum is pinned down and large while a region is unexplored", () => {
    const covered = view(
      Array.from({ length: 60 }, (_, i) => -5 + (10 * i) / 59),
      square,
    );
    const oneSided = view(
      Array.from({ length: 20 }, (_, i) => 2 + (3 * i) / 19),
      square,
    );
    const small = regretBound(space, covered, 1)!;
    const large = regretBound(space, oneSided, 1)!;
    // x² ranges over 0..25 here; the best covered point is within 0.01 of the optimum.
    expect(small).toBeGreaterThanOrEqual(0);
    expect(small).toBeLessThan(1);
    expect(large).toBeGreaterThan(3);
  });

  it("says nothing below the minimum number of complete trials", () => {
    expect(regretBound(space, view([1, 2, 3], square), 1)).toBeNull();
    const running: TrialView[] = view(
      Array.from({ length: 30 }, (_, i) => i / 10),
      square,
    ).map((t) => ({ ...t, state: "running", loss: null }));
    expect(regretBound(space, running, 1)).toBeNull();
  });

  it("rests on feasible trials only", () => {
    const xs = Array.from({ length: 80 }, (_, i) => -5 + (10 * i) / 79);
    // x < 2 violates the constraint: what is left is the one-sided set, with room to improve.
    const all = view(xs, square).map((t) => ({ ...t, constraints: [2 - (t.params.x as number)] }));
    const feasible = all.filter((t) => t.constraints[0]! <= 0);
    expect(regretBound(space, all, 1)).toBe(regretBound(space, feasible, 1));
    expect(regretBound(space, all, 1)).toBeGreaterThan(3);
    const opt = createOptimizer({ space: { x: { type: "float", low: -5, high: 5 } }, sampler: { name: "random", seed: 2 } });
    for (const [id, x] of xs.entries())
      opt.addTrial({ id, params: { x }, state: "complete", value: x * x, constraints: [2 - x] });
    expect(opt.improvementNow()[0]!.trials).toBe(feasible.length);
    expect(opt.improvement().at(-1)!.trials).toBe(feasible.length);
  });

  it("is tracked over the study, in the objective's units whichever the direction", () => {
    const opt = createOptimizer({
      space: { x: { type: "float", low: -5, high: 5 } },
      direction: "maximize",
      sampler: { name: "random", seed: 2 },
    });
    for (let id = 0; id < 45; id++) {
      const { params } = opt.ask({ id });
      opt.tell(id, 10 - square(Number(params.x)));
    }
    const history = opt.improvement();
    expect(history[0]!.trials).toBe(IMPROVEMENT_MIN_TRIALS);
    expect(history.at(-1)!.trials).toBe(45);
    expect(history.length).toBe(25);
    for (const p of history) expect(p.bound).toBeGreaterThanOrEqual(0);
    // Random search on a 1-D bowl: the estimate shrinks as the optimum gets bracketed.
    expect(history.at(-1)!.bound).toBeLessThan(history[0]!.bound);
  });
});
