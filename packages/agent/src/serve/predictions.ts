import type { KserveTensor, TensorSpec } from "./served-model.js";

/** A builtin tabular model: a fixed input width, one batch of rows at a time, off the event loop. */
export interface TabularModel {
  /** Values per row (the signature's `[-1, inputs]`). */
  readonly inputs: number;
  readonly task: "classification" | "regression";
  /** Classes (classification) or targets (regression) per row. */
  readonly outputs: number;
  /** rows × outputs: class probabilities, or regression outputs. */
  predict(x: Float32Array, rows: number): Promise<Float32Array>;
}

/** Index of the largest of each row's `k` probabilities: the predicted class. */
function argmaxRows(p: Float32Array, rows: number, k: number): number[] {
  const out = new Array<number>(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[r * k + j]! > p[r * k + best]!) best = j;
    out[r] = best;
  }
  return out;
}

/**
 * MLflow's `predictions`: class ids for a classifier (like scikit-learn's `predict`), the
 * value per row for a one-target regressor, a list per row for several targets.
 */
export function mlflowPredictions(model: TabularModel, p: Float32Array, rows: number): number[] | number[][] {
  if (model.task === "classification") return argmaxRows(p, rows, model.outputs);
  if (model.outputs === 1) return Array.from(p);
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from(p.subarray(r * model.outputs, (r + 1) * model.outputs)));
  return out;
}

/** The output tensors a model gives: `predictions` (class ids or values) and, for a classifier, `probabilities`. */
export function kserveOutputSpecs(model: TabularModel, rows: number): TensorSpec[] {
  if (model.task === "classification")
    return [
      { name: "predictions", datatype: "INT64", shape: [rows] },
      { name: "probabilities", datatype: "FP32", shape: [rows, model.outputs] },
    ];
  return [{ name: "predictions", datatype: "FP32", shape: model.outputs === 1 ? [rows] : [rows, model.outputs] }];
}

export function kserveOutputs(model: TabularModel, p: Float32Array, rows: number, names?: string[]): KserveTensor[] {
  const specs = kserveOutputSpecs(model, rows);
  const chosen = names ? specs.filter((s) => names.includes(s.name)) : specs;
  return chosen.map((s) => {
    const data = s.name === "predictions" && model.task === "classification" ? argmaxRows(p, rows, model.outputs) : Array.from(p);
    return { ...s, data };
  });
}
