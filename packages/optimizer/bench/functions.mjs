// The benchmark functions of bench/functions.json (a copy of /work/shared/bench/functions.json),
// implemented from their formulas. All are minimized; regret = best - minimum.
import { readFileSync } from "node:fs";

const spec = JSON.parse(readFileSync(new URL("./functions.json", import.meta.url), "utf8"));

const xs = (p, d) => Array.from({ length: d }, (_, i) => p[`x${i}`]);

const impl = {
  branin: (p) => {
    const [x0, x1] = xs(p, 2);
    const a = 1, b = 5.1 / (4 * Math.PI ** 2), c = 5 / Math.PI, r = 6, s = 10, t = 1 / (8 * Math.PI);
    return a * (x1 - b * x0 ** 2 + c * x0 - r) ** 2 + s * (1 - t) * Math.cos(x0) + s;
  },
  hartmann6: (p) => {
    const x = xs(p, 6);
    const { alpha, A, P } = spec.functions.hartmann6.constants;
    let y = 0;
    for (let i = 0; i < 4; i++) {
      let e = 0;
      for (let j = 0; j < 6; j++) e += A[i][j] * (x[j] - P[i][j]) ** 2;
      y -= alpha[i] * Math.exp(-e);
    }
    return y;
  },
  rosenbrock4: (p) => {
    const x = xs(p, 4);
    let y = 0;
    for (let i = 0; i < 3; i++) y += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
    return y;
  },
  ackley5: (p) => {
    const x = xs(p, 5);
    const m2 = x.reduce((s, v) => s + v * v, 0) / 5;
    const mc = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0) / 5;
    return -20 * Math.exp(-0.2 * Math.sqrt(m2)) - Math.exp(mc) + 20 + Math.E;
  },
  styblinski_tang8: (p) => xs(p, 8).reduce((s, v) => s + (v ** 4 - 16 * v ** 2 + 5 * v) / 2, 0),
  six_hump_camel: (p) => {
    const [x0, x1] = xs(p, 2);
    return (4 - 2.1 * x0 ** 2 + x0 ** 4 / 3) * x0 ** 2 + x0 * x1 + (-4 + 4 * x1 ** 2) * x1 ** 2;
  },
  mixed: (p) => {
    const shift = { a: 0, b: 0.3, c: -0.2 }[p.kind];
    const base = { a: 0.5, b: 0, c: 0.25 }[p.kind];
    return base + (Math.log2(p.n) - 3) ** 2 / 4 + 10 * (p.u - shift) ** 2 + 5 * (p.v - shift / 2) ** 2;
  },
  conditional: (p) =>
    p.opt === "sgd"
      ? 0.2 + (Math.log10(p.lr) + 2) ** 2 + 20 * (p.momentum - 0.9) ** 2
      : (Math.log10(p.lr) + 3) ** 2 + 400 * (p.beta2 - 0.995) ** 2,
};

export const FUNCTIONS = Object.entries(spec.functions).map(([name, f]) => ({
  name,
  space: f.space,
  minimum: f.minimum,
  fn: impl[name],
}));

export const CURVE = spec.learning_curve_task;
