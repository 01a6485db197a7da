// The benchmark functions of bench/functions.json (a copy of /work/shared/bench/functions.json),
// implemented from their formulas. All are minimized; regret = best - minimum.
import { readFileSync } from "node:fs";

const spec = JSON.parse(readFileSync(new URL("./functions.json", import.meta.url), "utf8"));

const xs = (p, d) => Array.from({ length: d }, (_, i) => p[`x${i}`]);

/** Hartmann functions: -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2). */
const hartmann = (x, { alpha, A, P }) => {
  let y = 0;
  for (let i = 0; i < alpha.length; i++) {
    let e = 0;
    for (let j = 0; j < x.length; j++) e += A[i][j] * (x[j] - P[i][j]) ** 2;
    y -= alpha[i] * Math.exp(-e);
  }
  return y;
};

const impl = {
  branin: (p) => {
    const [x0, x1] = xs(p, 2);
    const a = 1,
      b = 5.1 / (4 * Math.PI ** 2),
      c = 5 / Math.PI,
      r = 6,
      s = 10,
      t = 1 / (8 * Math.PI);
    return a * (x1 - b * x0 ** 2 + c * x0 - r) ** 2 + s * (1 - t) * Math.cos(x0) + s;
  },
  hartmann6: (p) => hartmann(xs(p, 6), spec.functions.hartmann6.constants),
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

/**
 * A learning-curve task for the pruners: `curve(params)` gives the noise-free value at each
 * step; reports add N(0, noise). CURVE_TASK is the suite's (its formula in functions.json).
 */
export const CURVE_TASK = {
  name: "suite",
  space: CURVE.space,
  direction: "minimize",
  steps: CURVE.steps,
  noise: 0.01,
  curve: ({ lr, width }) => {
    const final = 0.1 + 0.3 * (Math.log10(lr) + 2) ** 2 + 0.05 * (Math.log2(width) - 7) ** 2;
    const rate = 0.02 + 0.3 * Math.sqrt(lr);
    return (s) => final + (2.5 - final) * Math.exp(-rate * s);
  },
};

/**
 * Three more curve tasks, not from the shared suite: written after the pruners were
 * designed, to check that they generalize (nothing was tuned on them). Power-law curves
 * over three params and 200 steps; the suite's shape with five times its report noise; and
 * an accuracy to maximize, where the fastest optimizer ends worse than the slowest.
 */
export const OTHER_CURVE_TASKS = [
  {
    name: "power-law",
    space: {
      lr: { type: "float", low: 1e-4, high: 1e-1, log: true },
      wd: { type: "float", low: 1e-6, high: 1e-2, log: true },
      dropout: { type: "float", low: 0, high: 0.5 },
    },
    direction: "minimize",
    steps: 200,
    noise: 0.02,
    curve: (p) => {
      const final = 0.3 + 0.2 * (Math.log10(p.lr) + 2.5) ** 2 + 0.05 * (Math.log10(p.wd) + 4) ** 2 + 0.3 * (p.dropout - 0.2) ** 2;
      const rate = 0.02 + 20 * p.lr;
      return (s) => final + (2 - final) / (1 + rate * s);
    },
  },
  { ...CURVE_TASK, name: "suite, 5x noise", noise: 0.05 },
  {
    name: "accuracy",
    space: {
      optimizer: { type: "categorical", choices: ["sgd", "adam", "rmsprop"] },
      lr: { type: "float", low: 1e-4, high: 1, log: true },
      batch: { type: "int", low: 16, high: 512, log: true },
    },
    direction: "maximize",
    steps: 60,
    noise: 0.005,
    curve: (p) => {
      const top = { sgd: 0.95, adam: 0.92, rmsprop: 0.9 }[p.optimizer];
      const bestLr = { sgd: -1, adam: -3, rmsprop: -2.5 }[p.optimizer];
      const final = top - 0.08 * (Math.log10(p.lr) - bestLr) ** 2 - 0.01 * (Math.log2(p.batch) - 6) ** 2;
      const rate = { sgd: 0.04, adam: 0.25, rmsprop: 0.15 }[p.optimizer];
      return (s) => final - (final - 0.1) * Math.exp(-rate * s);
    },
  },
];

const heldOut = JSON.parse(readFileSync(new URL("./held-out.json", import.meta.url), "utf8"));

const heldOutImpl = {
  levy6: (p) => {
    const w = xs(p, 6).map((x) => 1 + (x - 1) / 4);
    let y = Math.sin(Math.PI * w[0]) ** 2;
    for (let i = 0; i < 5; i++) y += (w[i] - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * w[i] + 1) ** 2);
    return y + (w[5] - 1) ** 2 * (1 + Math.sin(2 * Math.PI * w[5]) ** 2);
  },
  rastrigin4: (p) => xs(p, 4).reduce((s, x) => s + x * x - 10 * Math.cos(2 * Math.PI * x), 40),
  hartmann3: (p) => hartmann(xs(p, 3), heldOut.functions.hartmann3.constants),
  michalewicz5: (p) => -xs(p, 5).reduce((s, x, i) => s + Math.sin(x) * Math.sin(((i + 1) * x * x) / Math.PI) ** 20, 0),
  zakharov4: (p) => {
    const x = xs(p, 4);
    const s = x.reduce((a, v, i) => a + 0.5 * (i + 1) * v, 0);
    return x.reduce((a, v) => a + v * v, 0) + s ** 2 + s ** 4;
  },
  dixon_price6: (p) => {
    const x = xs(p, 6);
    let y = (x[0] - 1) ** 2;
    for (let i = 1; i < 6; i++) y += (i + 1) * (2 * x[i] ** 2 - x[i - 1]) ** 2;
    return y;
  },
  nn_tuning: (p) => {
    const d = 0.3 * (p.dropout - 0.2) ** 2 + 0.02 * (Math.log2(p.batch) - 6) ** 2;
    const lr = Math.log10(p.lr);
    if (p.arch === "mlp") return 0.15 + 0.5 * (lr + 3) ** 2 + 0.05 * (Math.log2(p.width) - 8) ** 2 + d;
    if (p.arch === "cnn") return 0.05 + 0.5 * (lr + 2.5) ** 2 + 0.01 * (p.kernel - 5) ** 2 + d;
    return 0.8 * (lr + 3.5) ** 2 + 0.1 * (p.heads === 4 ? 0 : 1) + 0.2 * ((p.warmup - 800) / 1000) ** 2 + d;
  },
  schwefel4: (p) => 418.9829 * 4 - xs(p, 4).reduce((s, x) => s + x * Math.sin(Math.sqrt(Math.abs(x))), 0),
  shekel4: (p) => {
    const x = xs(p, 4);
    const { C, beta } = heldOut.functions.shekel4.constants;
    let y = 0;
    for (let i = 0; i < 10; i++) y -= 1 / (x.reduce((a, v, j) => a + (v - C[j][i]) ** 2, 0) + beta[i]);
    return y;
  },
  powell8: (p) => {
    const x = xs(p, 8);
    let y = 0;
    for (let k = 0; k < 8; k += 4) {
      const [a, b, c, d] = x.slice(k, k + 4);
      y += (a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4;
    }
    return y;
  },
  svm_tuning: (p) => {
    const c = Math.log10(p.C);
    if (p.kernel === "linear") return 0.12 + 0.05 * c ** 2;
    const g = Math.log10(p.gamma);
    if (p.kernel === "rbf") return 0.05 + 0.05 * (c - 1.5) ** 2 + 0.08 * (g + 2) ** 2;
    return 0.08 + 0.05 * (c - 0.5) ** 2 + 0.08 * (g + 1) ** 2 + 0.02 * (p.degree - 3) ** 2;
  },
  colville4: (p) => {
    const [a, b, c, d] = xs(p, 4);
    return (
      100 * (a * a - b) ** 2 +
      (a - 1) ** 2 +
      (c - 1) ** 2 +
      90 * (c * c - d) ** 2 +
      10.1 * ((b - 1) ** 2 + (d - 1) ** 2) +
      19.8 * (b - 1) * (d - 1)
    );
  },
  griewank5: (p) => {
    const x = xs(p, 5);
    return 1 + x.reduce((s, v) => s + v * v, 0) / 4000 - x.reduce((s, v, i) => s * Math.cos(v / Math.sqrt(i + 1)), 1);
  },
  trid6: (p) => {
    const x = xs(p, 6);
    return x.reduce((s, v) => s + (v - 1) ** 2, 0) - x.slice(1).reduce((s, v, i) => s + v * x[i], 0);
  },
  rf_tuning: (p) => {
    const n = Math.log10(p.n_estimators);
    const d = Math.log2(p.max_depth);
    const l = Math.log2(p.min_samples_leaf);
    const common =
      0.02 * (n - Math.log10(400)) ** 2 + 0.3 * (p.max_features - 0.4) ** 2 + 0.01 * (d - l / 2 - 4) ** 2 + 0.004 * l * l;
    if (p.model === "rf") return 0.06 + common + (p.bootstrap ? 0 : 0.02);
    return 0.04 + common + 0.01 * (d - 4.5) ** 2;
  },
  perm6: (p) => {
    const x = xs(p, 6);
    let y = 0;
    for (let i = 1; i <= 6; i++) {
      let s = 0;
      for (let j = 1; j <= 6; j++) s += (j ** i + 0.5) * ((x[j - 1] / j) ** i - 1);
      y += s * s;
    }
    return y;
  },
  salomon7: (p) => {
    const r = Math.sqrt(xs(p, 7).reduce((s, v) => s + v * v, 0));
    return 1 - Math.cos(2 * Math.PI * r) + 0.1 * r;
  },
  alpine8: (p) => xs(p, 8).reduce((s, v) => s + Math.abs(v * Math.sin(v) + 0.1 * v), 0),
  lgbm_tuning: (p) => {
    const u = Math.log10(p.learning_rate) + { gbdt: 1.5, dart: 1.2, goss: 1.8 }[p.boosting];
    const common =
      0.15 * u ** 2 +
      0.01 * (Math.log2(p.num_leaves) - 6 - 2 * u) ** 2 +
      0.005 * (Math.log2(p.min_child_samples) - Math.log2(20)) ** 2 +
      0.2 * (p.feature_fraction - 0.7) ** 2 +
      0.01 * (Math.log10(p.lambda_l2) + 1) ** 2;
    if (p.boosting === "dart") return 0.095 + common + 0.5 * (p.drop_rate - 0.1) ** 2;
    if (p.boosting === "goss") return 0.105 + common + 0.3 * (p.top_rate - 0.2) ** 2;
    return 0.1 + common;
  },
  goldstein_price2: (p) => {
    const [a, b] = xs(p, 2);
    const u = 1 + (a + b + 1) ** 2 * (19 - 14 * a + 3 * a * a - 14 * b + 6 * a * b + 3 * b * b);
    const v = 30 + (2 * a - 3 * b) ** 2 * (18 - 32 * a + 12 * a * a + 48 * b - 36 * a * b + 27 * b * b);
    return u * v;
  },
  qing6: (p) => xs(p, 6).reduce((s, v, i) => s + (v * v - (i + 1)) ** 2, 0),
  dropwave2: (p) => {
    const r2 = xs(p, 2).reduce((s, v) => s + v * v, 0);
    return -(1 + Math.cos(12 * Math.sqrt(r2))) / (0.5 * r2 + 2);
  },
  xgb_tuning: (p) => {
    const e = Math.log10(p.eta) + 1.3;
    const common = 0.12 * e * e + 0.3 * (p.subsample - 0.8) ** 2 + 0.01 * Math.log10(p.reg_lambda) ** 2;
    const tree = (dc) =>
      0.004 * (p.max_depth - dc + 3 * e) ** 2 +
      0.01 * (Math.log10(p.min_child_weight) - 0.3) ** 2 +
      0.15 * (p.colsample_bytree - 0.6) ** 2;
    if (p.booster === "gbtree") return 0.08 + common + tree(7);
    if (p.booster === "dart") return 0.075 + common + tree(9) + 0.4 * (p.rate_drop - 0.15) ** 2;
    return (
      0.14 + 0.12 * (Math.log10(p.eta) + 0.7) ** 2 + 0.02 * (Math.log10(p.reg_lambda) + 1) ** 2 + 0.3 * (p.subsample - 0.8) ** 2
    );
  },
  boosting: (p) => {
    const c = 0.5 * (p.subsample - 0.8) ** 2;
    const lr = Math.log10(p.lr);
    if (p.booster === "gbtree") return (lr + 1.3) ** 2 + 0.02 * (p.depth - 6) ** 2 + c;
    if (p.booster === "dart") return 0.05 + (lr + 1) ** 2 + 0.02 * (p.depth - 8) ** 2 + 2 * (p.drop_rate - 0.15) ** 2 + c;
    return 0.3 + 0.5 * (lr + 2) ** 2 + 0.1 * (Math.log10(p.l2) + 1) ** 2 + c;
  },
};

/** Functions outside the suite (held-out.json): a generalization check, not tuned on. */
export const HELD_OUT_FUNCTIONS = Object.entries(heldOut.functions).map(([name, f]) => ({
  name,
  space: f.space,
  minimum: f.minimum,
  fn: heldOutImpl[name],
}));
