import { describe, expect, it } from "vitest";
import { dominates, hypervolume, hypervolumeHistory, paretoFront, referencePoint } from "./pareto.js";

// Reference numbers from optuna 4.1.0 (optuna._hypervolume.compute_hypervolume and
// optuna.study._multi_objective._is_pareto_front), run once in a throwaway venv.
const RAND3 = [
  [0.549, 0.715, 0.603],
  [0.545, 0.424, 0.646],
  [0.438, 0.892, 0.964],
  [0.383, 0.792, 0.529],
  [0.568, 0.926, 0.071],
  [0.087, 0.02, 0.833],
  [0.778, 0.87, 0.979],
  [0.799, 0.461, 0.781],
  [0.118, 0.64, 0.143],
  [0.945, 0.522, 0.415],
  [0.265, 0.774, 0.456],
  [0.568, 0.019, 0.618],
  [0.612, 0.617, 0.944],
  [0.682, 0.36, 0.437],
  [0.698, 0.06, 0.667],
  [0.671, 0.21, 0.129],
  [0.315, 0.364, 0.57],
  [0.439, 0.988, 0.102],
  [0.209, 0.161, 0.653],
  [0.253, 0.466, 0.244],
  [0.159, 0.11, 0.656],
  [0.138, 0.197, 0.369],
  [0.821, 0.097, 0.838],
  [0.096, 0.976, 0.469],
  [0.977, 0.605, 0.739],
  [0.039, 0.283, 0.12],
  [0.296, 0.119, 0.318],
  [0.414, 0.064, 0.692],
  [0.567, 0.265, 0.523],
  [0.094, 0.576, 0.929],
];
const RAND4 = [
  [0.319, 0.667, 0.132, 0.716],
  [0.289, 0.183, 0.587, 0.02],
  [0.829, 0.005, 0.678, 0.27],
  [0.735, 0.962, 0.249, 0.576],
  [0.592, 0.572, 0.223, 0.953],
  [0.447, 0.846, 0.699, 0.297],
  [0.814, 0.397, 0.881, 0.581],
  [0.882, 0.693, 0.725, 0.501],
  [0.956, 0.644, 0.424, 0.606],
  [0.019, 0.302, 0.66, 0.29],
  [0.618, 0.429, 0.135, 0.298],
  [0.57, 0.591, 0.574, 0.653],
  [0.652, 0.431, 0.897, 0.368],
  [0.436, 0.892, 0.806, 0.704],
  [0.1, 0.919, 0.714, 0.999],
  [0.149, 0.868, 0.162, 0.616],
  [0.124, 0.848, 0.807, 0.569],
  [0.407, 0.069, 0.697, 0.454],
  [0.722, 0.866, 0.976, 0.856],
  [0.012, 0.36, 0.73, 0.172],
];

describe("paretoFront", () => {
  it("keeps the points no other point dominates, ties included", () => {
    expect(
      paretoFront([
        [1, 5],
        [2, 3],
        [3, 4],
        [4, 1],
        [5, 5],
      ]),
    ).toEqual([0, 1, 3]);
    expect(
      paretoFront([
        [1, 2, 3],
        [2, 1, 3],
        [3, 3, 1],
        [2, 2, 2],
        [4, 4, 4],
      ]),
    ).toEqual([0, 1, 2, 3]);
    expect(
      paretoFront([
        [1, 1],
        [1, 1],
        [2, 0],
      ]),
    ).toEqual([0, 1, 2]);
    expect(paretoFront([])).toEqual([]);
  });
});

describe("paretoFront against the definition", () => {
  it("agrees with a brute-force check on random point sets with ties, in 2 and 3 objectives", () => {
    let seed = 7;
    const next = () => (seed = (seed * 16807) % 2147483647) % 6; // few distinct values: many ties
    for (let round = 0; round < 50; round++) {
      for (const d of [2, 3]) {
        const pts = Array.from({ length: 25 }, () => Array.from({ length: d }, next));
        const brute = pts.flatMap((p, i) => (pts.some((q) => dominates(q, p)) ? [] : [i]));
        expect(paretoFront(pts)).toEqual(brute);
      }
    }
  });
});

describe("hypervolume", () => {
  it("matches hand-computed volumes in 2 and 3 objectives", () => {
    // Strips below the reference (6, 6): x from 1 (y 5..6), 2 (y 3..5), 4 (y 1..3) → 5 + 8 + 4.
    expect(
      hypervolume(
        [
          [1, 5],
          [2, 3],
          [3, 4],
          [4, 1],
          [5, 5],
        ],
        [6, 6],
      ),
    ).toBe(17);
    // One point is a box; two overlapping boxes: 2·2·2 + 2·2·2 − 1·1·2 (their overlap).
    expect(hypervolume([[1, 1, 1]], [3, 3, 3])).toBe(8);
    expect(
      hypervolume(
        [
          [1, 2, 1],
          [2, 1, 1],
        ],
        [3, 3, 3],
      ),
    ).toBe(6);
  });

  it("matches Optuna's numbers for fixed point sets in 2, 3 and 4 objectives", () => {
    expect(
      hypervolume(
        [
          [1, 2, 3],
          [2, 1, 3],
          [3, 3, 1],
          [2, 2, 2],
          [4, 4, 4],
        ],
        [5, 5, 5],
      ),
    ).toBe(43);
    const four = [
      [1, 2, 3, 4],
      [4, 3, 2, 1],
      [2, 2, 2, 2],
      [3, 1, 4, 2],
      [1, 4, 4, 4],
      [2, 3, 1, 3],
    ];
    expect(hypervolume(four, [5, 5, 5, 5])).toBe(111);
    expect(paretoFront(four)).toEqual([0, 1, 2, 3, 5]);
    expect(hypervolume(RAND3, [1.1, 1.1, 1.1])).toBeCloseTo(1.020690857, 9);
    expect(hypervolume(RAND4, [1, 1, 1, 1])).toBeCloseTo(0.390331499728, 9);
  });

  it("counts nothing for points outside the reference, and names a wrong shape", () => {
    expect(
      hypervolume(
        [
          [7, 1],
          [1, 6],
        ],
        [6, 6],
      ),
    ).toBe(0);
    expect(() => hypervolume([[1, 2, 3]], [5, 5])).toThrow("hypervolume: a point has 3 objectives, the reference 2");
    expect(() => hypervolume([[1, 2]], [5, Infinity])).toThrow("hypervolume: the reference point must be finite");
  });
});

describe("referencePoint and hypervolumeHistory", () => {
  it("puts the reference 10% of each range past the nadir", () => {
    expect(
      referencePoint([
        [0, 10],
        [10, 0],
        [5, 5],
      ]),
    ).toEqual([11, 11]);
    expect(
      referencePoint([
        [2, 0],
        [2, 0],
      ]),
    ).toEqual([2.2, 0.1]);
  });

  it("grows with each point, thinned to at most maxPoints with the last included", () => {
    // By hand: [3,3] alone is 3·3; [1,4] adds 5·2 − 3·2; [4,1] adds 2·2; [2,2] makes the front
    // {[1,4],[2,2],[4,1]}: strips 5·2 + 4·2 + 2·1 = 20; [5,5] adds nothing.
    const pts = [
      [3, 3],
      [1, 4],
      [4, 1],
      [2, 2],
      [5, 5],
    ];
    const ref = [6, 6];
    const full = hypervolumeHistory(pts, ref, 10);
    expect(full.map((h) => h.index)).toEqual([0, 1, 2, 3, 4]);
    expect(full.map((h) => h.hypervolume)).toEqual([1, 2, 3, 4, 5].map((k) => hypervolume(pts.slice(0, k), ref)));
    expect(full.map((h) => h.hypervolume)).toEqual([9, 13, 17, 20, 20]);
    const thin = hypervolumeHistory(pts, ref, 2);
    expect(thin).toEqual([
      { index: 2, hypervolume: 17 },
      { index: 4, hypervolume: 20 },
    ]);
  });
});
