/**
 * Built-in trainers (`run.builtin`): the catalogue the study spec validates against and the
 * agent's builtin runner trains from. The trainers themselves live in @autoglm/native; this
 * file only names what exists, which metrics each reports, and how a trial's parameters map
 * onto the native config (so the spec, the runner and the docs cannot drift apart).
 */

export const BUILTIN_TRAINERS = ["mlp", "glm"] as const;
export type TBuiltinTrainer = (typeof BUILTIN_TRAINERS)[number];

/** Datasets shipped in native/data (nothing is fetched at run time). */
export const BUILTIN_DATASETS = {
  digits: { kind: "tabular", task: "classification" },
  diabetes: { kind: "tabular", task: "regression" },
  shakespeare: { kind: "text" },
} as const;
export type TBuiltinDataset = keyof typeof BUILTIN_DATASETS;
export const BUILTIN_DATASET_NAMES = Object.keys(BUILTIN_DATASETS) as TBuiltinDataset[];

/**
 * What a (trainer, dataset) pair trains:
 *  - `mlp` on a tabular set: a multi-layer perceptron (softmax CE or MSE).
 *  - `glm` on a tabular set: a generalized linear model — the same trainer with no hidden
 *    layer (multinomial logistic regression on digits, linear regression on diabetes) whose
 *    L2 strength is `l2` / `alpha` (AdamW's decoupled weight decay).
 *  - `glm` on a text set: the byte-level decoder-only transformer language model.
 *  - `mlp` on a text set: not supported.
 */
export type TBuiltinKind = "mlp" | "linear" | "lm";

export function builtinKind(trainer: TBuiltinTrainer, dataset: TBuiltinDataset): TBuiltinKind | null {
  const d = BUILTIN_DATASETS[dataset];
  if (d.kind === "text") return trainer === "glm" ? "lm" : null;
  return trainer === "mlp" ? "mlp" : "linear";
}

/** The metrics a builtin trial reports (per epoch / eval, and on its final line). */
export function builtinMetrics(trainer: TBuiltinTrainer, dataset: TBuiltinDataset): string[] {
  const kind = builtinKind(trainer, dataset);
  if (kind === null) return [];
  if (kind === "lm") return ["loss", "val_loss", "val_bpb", "lr"];
  const d = BUILTIN_DATASETS[dataset];
  if ("task" in d && d.task === "classification") return ["loss", "val_loss", "accuracy", "val_accuracy"];
  return ["loss", "val_loss", "val_rmse", "val_r2"];
}

/** Native config keys and the parameter names (aliases) that set them. */
export interface TBuiltinParam {
  key: string;
  names: readonly string[];
  type: "float" | "int" | "string";
}

const COMMON: TBuiltinParam[] = [
  { key: "lr", names: ["lr", "learning_rate"], type: "float" },
  { key: "weightDecay", names: ["weight_decay", "wd"], type: "float" },
  { key: "batchSize", names: ["batch_size", "batch"], type: "int" },
  { key: "seed", names: ["seed"], type: "int" },
  { key: "beta1", names: ["beta1"], type: "float" },
  { key: "beta2", names: ["beta2"], type: "float" },
];

export const BUILTIN_PARAMS: Record<TBuiltinKind, TBuiltinParam[]> = {
  mlp: [
    ...COMMON,
    { key: "layers", names: ["layers", "n_layers", "depth"], type: "int" },
    { key: "width", names: ["width", "hidden", "hidden_size", "units"], type: "int" },
    { key: "activation", names: ["activation", "act"], type: "string" },
    { key: "dropout", names: ["dropout"], type: "float" },
    { key: "epochs", names: ["epochs"], type: "int" },
  ],
  linear: [
    ...COMMON.map((p) => (p.key === "weightDecay" ? { ...p, names: ["l2", "alpha", ...p.names] } : p)),
    { key: "epochs", names: ["epochs"], type: "int" },
  ],
  lm: [
    ...COMMON,
    { key: "layers", names: ["layers", "n_layers"], type: "int" },
    { key: "heads", names: ["heads", "n_heads", "n_head"], type: "int" },
    { key: "width", names: ["width", "hidden", "d_model", "n_embd"], type: "int" },
    { key: "context", names: ["context", "context_length", "block_size", "seq_len"], type: "int" },
    { key: "dropout", names: ["dropout"], type: "float" },
    { key: "steps", names: ["steps", "max_steps"], type: "int" },
    { key: "warmup", names: ["warmup", "warmup_steps"], type: "int" },
    { key: "minLrRatio", names: ["min_lr_ratio"], type: "float" },
    { key: "gradClip", names: ["grad_clip", "clip"], type: "float" },
    { key: "evalEvery", names: ["eval_every"], type: "int" },
  ],
};

export interface TBuiltinMapped {
  /** Native config entries set from the parameters. */
  config: Record<string, number | string>;
  /** Parameter names no config key takes (the runner logs and ignores them). */
  ignored: string[];
  /** Values that could not be used (wrong type), with why. */
  invalid: Array<{ name: string; reason: string }>;
}

/**
 * Maps a trial's parameters (and the spec's fixed `builtin.params`, which the trial's own
 * parameters override) onto the native config of `kind`. When two aliases of one key are
 * both given, the first listed alias wins.
 */
export function mapBuiltinParams(kind: TBuiltinKind, params: Record<string, unknown>): TBuiltinMapped {
  const out: TBuiltinMapped = { config: {}, ignored: [], invalid: [] };
  const used = new Set<string>();
  for (const p of BUILTIN_PARAMS[kind]) {
    for (const name of p.names) {
      if (!Object.prototype.hasOwnProperty.call(params, name)) continue;
      used.add(name);
      if (p.key in out.config) continue;
      const raw = params[name];
      if (p.type === "string") {
        if (typeof raw === "string") out.config[p.key] = raw;
        else out.invalid.push({ name, reason: `must be a string, got ${JSON.stringify(raw)}` });
        continue;
      }
      const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n)) {
        out.invalid.push({ name, reason: `must be a number, got ${JSON.stringify(raw)}` });
        continue;
      }
      out.config[p.key] = p.type === "int" ? Math.round(n) : n;
    }
  }
  for (const name of Object.keys(params)) if (!used.has(name)) out.ignored.push(name);
  return out;
}
