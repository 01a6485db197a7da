/**
 * The builtin trial runner: `node dist/builtin-runner.js`, started by the agent (TrialRun) for
 * a study with `run.builtin` exactly as it starts a `run.command` — its own process group, the
 * trial's environment, stdout parsed for metric lines — so prune, stop, timeouts and SIGKILL
 * work the same, and a native crash takes down this process, never the agent.
 *
 * Environment (set by the agent): AUTOGLM_BUILTIN (the spec's run.builtin as JSON),
 * AUTOGLM_PARAMS, AUTOGLM_OBJECTIVE, AUTOGLM_OUTPUT_DIR; CUDA_VISIBLE_DEVICES picks the GPUs
 * (@autoglm/native trains on CUDA when it finds a usable GPU, else on the CPU).
 *
 * Output: one metric line per epoch (tabular) or evaluation (text), a `final` line, and the
 * trained model in AUTOGLM_OUTPUT_DIR/model.safetensors (+ builtin.json describing it).
 * SIGTERM cancels training after the current step and exits at once, without a final line.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type * as NativeModule from "@autoglm/native";
import type { StepMetrics, TrainRun } from "@autoglm/native";
import type * as NativeData from "@autoglm/native/data";
import type { TabularSet } from "@autoglm/native/data";
import {
  BUILTIN_DATASETS,
  BUILTIN_PARAMS,
  builtinKind,
  builtinMetrics,
  mapBuiltinParams,
  ZBuiltinRun,
  type TBuiltinKind,
  type TBuiltinRun,
} from "@autoglm/protocol";

const DEFAULT_EPOCHS = { mlp: 20, linear: 30 } as const;
const DEFAULT_STEPS = 200;
/** Report only epoch ends (mlp) — they carry the validation metrics. */
const EVERY_EPOCH_ONLY = 2 ** 31 - 1;

let run: TrainRun | null = null;
let stopping = false;

function log(message: string): void {
  process.stderr.write(`[builtin] ${message}\n`);
}

function fail(message: string, code = 2): never {
  log(`error: ${message}`);
  process.exit(code);
}

function report(step: number, metrics: Record<string, number | undefined>): void {
  const clean = finite(metrics);
  if (Object.keys(clean).length) process.stdout.write(`${JSON.stringify({ autoglm: 1, step, metrics: clean })}\n`);
}

function finite(metrics: Record<string, number | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  return out;
}

function onSignal(sig: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  log(`${sig}: stopping training`);
  if (!run) process.exit(0);
  run.cancel();
  // cancel() takes effect after the current step; never outlive the agent's grace period.
  setTimeout(() => process.exit(0), 1_500).unref();
}
process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);

function readJsonEnv(name: string): unknown {
  const raw = process.env[name];
  if (raw === undefined) fail(`${name} is not set (this program is started by the agent for run.builtin trials)`);
  try {
    return JSON.parse(raw);
  } catch {
    fail(`${name} is not valid JSON`);
  }
}

function variance(y: Float32Array): number {
  let m = 0;
  for (const v of y) m += v;
  m /= y.length || 1;
  let s = 0;
  for (const v of y) s += (v - m) ** 2;
  return s / (y.length || 1);
}

// Loaded in main() so that a missing or unloadable addon fails the trial with one readable line.
let native: typeof NativeModule;
let data: typeof NativeData;

/** What the agent asked for: the spec, the trainer kind and the native config from the trial's parameters. */
interface Job {
  spec: TBuiltinRun;
  kind: TBuiltinKind;
  seed: number;
  config: Record<string, unknown>;
  outputDir: string | undefined;
  /** The backend training runs on (cpu, cuda), for the first log line. */
  device: string;
}

/** A finished (or cancelled) training run and the values of its `final` line. */
interface Trained {
  summary: Awaited<TrainRun["done"]>["summary"];
  model: Awaited<TrainRun["done"]>["model"];
  final: Record<string, number>;
  lastStep: number;
}

async function main(): Promise<void> {
  try {
    native = await import("@autoglm/native");
    data = await import("@autoglm/native/data");
  } catch (err) {
    fail(`cannot load @autoglm/native: ${err instanceof Error ? err.message : String(err)}`);
  }
  const job = readJob();
  const t0 = Date.now();
  const trained = job.kind === "lm" ? await trainLanguageModel(job) : await trainTabular(job, job.kind);
  if (trained.summary.cancelled || stopping) {
    log(`cancelled after ${trained.summary.steps} steps`);
    process.exit(0);
  }
  await saveModel(job, trained);
  const { summary, final, lastStep } = trained;
  log(
    `done: ${summary.steps} steps in ${((Date.now() - t0) / 1000).toFixed(2)} s on ${summary.device} (last report at step ${lastStep})`,
  );
  process.stdout.write(`${JSON.stringify({ autoglm: 1, final: finite(final) })}\n`);
  process.exit(0);
}

/** The run from AUTOGLM_BUILTIN, AUTOGLM_PARAMS and AUTOGLM_OBJECTIVE; fails the trial on a bad spec or value. */
function readJob(): Job {
  const parsed = ZBuiltinRun.safeParse(readJsonEnv("AUTOGLM_BUILTIN"));
  if (!parsed.success)
    fail(`run.builtin is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const spec: TBuiltinRun = parsed.data;
  const trialParams = (readJsonEnv("AUTOGLM_PARAMS") ?? {}) as Record<string, unknown>;
  const objective = process.env.AUTOGLM_OBJECTIVE ? (JSON.parse(process.env.AUTOGLM_OBJECTIVE) as { metric: string }) : null;
  const kind = builtinKind(spec.trainer, spec.dataset);
  if (kind === null) fail(`trainer ${spec.trainer} cannot train on ${spec.dataset}`);
  const metricNames = builtinMetrics(spec.trainer, spec.dataset);
  if (objective && !metricNames.includes(objective.metric)) {
    log(
      `warning: the objective metric "${objective.metric}" is not reported by ${spec.trainer} on ${spec.dataset} (${metricNames.join(", ")})`,
    );
  }

  const mapped = mapBuiltinParams(kind, { ...(spec.params ?? {}), ...trialParams });
  if (mapped.invalid.length) fail(mapped.invalid.map((i) => `parameter ${i.name} ${i.reason}`).join("; "));
  if (mapped.ignored.length) {
    const takes = BUILTIN_PARAMS[kind].flatMap((p) => p.names).join(", ");
    for (const name of mapped.ignored) log(`ignoring parameter "${name}": ${spec.trainer} on ${spec.dataset} takes ${takes}`);
  }
  if (process.env.AUTOGLM_RESUME_FROM)
    log(`a previous attempt left ${process.env.AUTOGLM_RESUME_FROM}; builtin trainers start afresh`);
  const seed = spec.seed ?? 1;
  const device = native.devices().training;
  return { spec, kind, seed, config: { seed, ...mapped.config }, outputDir: process.env.AUTOGLM_OUTPUT_DIR, device };
}

/** glm on shakespeare: one metric line per evaluation (`step` = optimizer step). */
async function trainLanguageModel({ spec, config, device }: Job): Promise<Trained> {
  const { train: text, val } = data.splitText(data.loadShakespeare(), spec.val_fraction ?? 0.1);
  const steps = Number(config.steps ?? spec.steps ?? DEFAULT_STEPS);
  const evalEvery = Number(config.evalEvery ?? Math.max(1, Math.ceil(steps / 10)));
  Object.assign(config, { steps, evalEvery, logEvery: evalEvery });
  log(`glm language model on ${spec.dataset} (${text.length} train bytes), device ${device}; config ${JSON.stringify(config)}`);
  if (stopping) process.exit(0);
  let last: Record<string, number> = {};
  let lastStep = 0;
  run = start(() =>
    native.train({
      model: "glm",
      config,
      data: { text, valText: val },
      onStep: (m: StepMetrics) => {
        if (m.valLoss === undefined) return;
        last = finite({ loss: m.loss, val_loss: m.valLoss, val_bpb: m.valLoss / Math.LN2, lr: m.lr });
        lastStep = m.step;
        report(m.step, last);
      },
    }),
  );
  const { summary, model } = await run.done;
  const final = { ...last, ...finite({ loss: summary.finalLoss, val_loss: summary.valLoss }) };
  if (summary.valLoss !== undefined) final.val_bpb = summary.valLoss / Math.LN2;
  return { summary, model, final, lastStep };
}

/** mlp / glm on digits or diabetes: one metric line per epoch (`step` = epoch). */
async function trainTabular({ spec, seed, config, device }: Job, kind: "mlp" | "linear"): Promise<Trained> {
  const dataset = BUILTIN_DATASETS[spec.dataset];
  const task = "task" in dataset ? dataset.task : "regression";
  const set: TabularSet = spec.dataset === "digits" ? data.loadDigits() : data.loadDiabetes();
  const { train: tr, val } = data.splitRows(set, spec.val_fraction ?? 0.2, seed);
  const epochs = Number(config.epochs ?? spec.epochs ?? DEFAULT_EPOCHS[kind]);
  Object.assign(config, { task, epochs, logEvery: EVERY_EPOCH_ONLY });
  if (kind === "linear") Object.assign(config, { layers: 0, dropout: 0 });
  // Validation MSE is on targets standardised with the training set's statistics.
  const varTrain = variance(tr.y);
  const r2 = r2Against(val.y);
  const regression = (valLoss: number) => {
    const mse = valLoss * varTrain;
    return { val_rmse: Math.sqrt(mse), val_r2: r2(mse) };
  };
  const what =
    kind === "linear" ? (task === "classification" ? "multinomial logistic regression (glm)" : "linear regression (glm)") : "mlp";
  log(
    `${what} on ${spec.dataset} (${tr.rows} train / ${val.rows} validation rows), device ${device}; config ${JSON.stringify(config)}`,
  );
  if (stopping) process.exit(0);
  let last: Record<string, number> = {};
  let lastStep = 0;
  run = start(() =>
    native.train({
      model: "mlp",
      config: config as never,
      data: { x: tr.x, y: tr.y, rows: tr.rows, valX: val.x, valY: val.y, valRows: val.rows },
      onStep: (m: StepMetrics) => {
        if (m.valLoss === undefined || m.epoch === undefined) return;
        last =
          task === "classification"
            ? finite({ loss: m.loss, val_loss: m.valLoss, accuracy: m.valAccuracy, val_accuracy: m.valAccuracy })
            : finite({ loss: m.loss, val_loss: m.valLoss, ...regression(m.valLoss) });
        lastStep = m.epoch;
        report(m.epoch, last);
      },
    }),
  );
  const { summary, model } = await run.done;
  const final = { ...last, ...finite({ loss: summary.finalLoss, val_loss: summary.valLoss }) };
  // Exact held-out figures from the trained model (they agree with the per-epoch ones).
  if (model && !summary.cancelled) Object.assign(final, await heldOutMetrics(model, val, task, r2));
  return { summary, model, final, lastStep };
}

/** R² of a mean squared error against these targets (undefined when they do not vary). */
function r2Against(y: Float32Array): (mse: number) => number | undefined {
  const varVal = variance(y);
  return (mse) => (varVal > 0 ? 1 - mse / varVal : undefined);
}

async function heldOutMetrics(
  model: NonNullable<Trained["model"]>,
  val: TabularSet,
  task: "classification" | "regression",
  r2: (mse: number) => number | undefined,
): Promise<Record<string, number>> {
  if (task === "classification") {
    const cls = await model.predictClasses(val.x, val.rows);
    let hit = 0;
    for (let i = 0; i < val.rows; i++) if (cls[i] === val.y[i]) hit++;
    return { accuracy: hit / val.rows, val_accuracy: hit / val.rows };
  }
  const p = await model.predict(val.x, val.rows);
  let se = 0;
  for (let i = 0; i < val.rows; i++) se += (p[i]! - val.y[i]!) ** 2;
  const mse = se / val.rows;
  return finite({ val_rmse: Math.sqrt(mse), val_r2: r2(mse) });
}

/** AUTOGLM_OUTPUT_DIR/model.safetensors (loadable with loadModel) and builtin.json describing it. */
async function saveModel({ spec, kind, outputDir }: Job, { summary, model, final }: Trained): Promise<void> {
  if (!outputDir || !model) return;
  mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, "model.safetensors");
  await model.save(file);
  writeFileSync(
    path.join(outputDir, "builtin.json"),
    `${JSON.stringify({ trainer: spec.trainer, dataset: spec.dataset, kind, device: summary.device, config: model.config, paramCount: model.paramCount, final: finite(final) }, null, 2)}\n`,
  );
  log(`saved ${file} (${model.paramCount} parameters)`);
}

function start(fn: () => TrainRun): TrainRun {
  try {
    return fn();
  } catch (err) {
    fail(native.toNativeError(err).userMessage);
  }
}

main().catch((err) => {
  if (!native) fail(String(err), 1);
  const e = native.toNativeError(err);
  fail(e.userMessage, e.isCallerFault ? 2 : 1);
});
