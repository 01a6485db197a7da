//! Training loops for both families. They run on a thread of their own (see lib.rs), check
//! an atomic cancel flag every step and report through a `report` callback that must not
//! block (lib.rs hands it a non-blocking ThreadsafeFunction with a bounded queue).

use crate::cpu::kernels::AdamW;
use crate::error::{invalid, NativeError, Res};
use crate::glm::{Acts, Glm, GlmConfig};
use crate::mlp::{Mlp, MlpConfig, Task};
use crate::params::{all_finite, clip_grad_norm, zero_grads, Optimizer};
use crate::rng::Rng;
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[derive(Default, Clone, Debug)]
pub struct Step {
  pub step: u32,
  pub epoch: Option<u32>,
  pub loss: f64,
  pub lr: f64,
  pub grad_norm: Option<f64>,
  pub val_loss: Option<f64>,
  pub val_accuracy: Option<f64>,
  pub elapsed_ms: f64,
  pub items_per_sec: f64,
}

#[derive(Default, Clone, Debug)]
pub struct Summary {
  pub steps: u32,
  pub epochs: Option<u32>,
  pub final_loss: f64,
  pub val_loss: Option<f64>,
  pub val_accuracy: Option<f64>,
  pub cancelled: bool,
  pub elapsed_ms: f64,
  /// samples/s (mlp) or tokens/s (glm)
  pub items_per_sec: f64,
  pub device: &'static str,
}

pub struct TabularData {
  pub x: Vec<f32>,
  pub y: Vec<f32>,
  pub rows: usize,
  pub val: Option<(Vec<f32>, Vec<f32>, usize)>,
}

pub struct TextData {
  pub train: Vec<u8>,
  pub val: Option<Vec<u8>>,
}

/// Training hyperparameters shared by both families; model-shape keys go to the model's
/// own config. Every field has a default so `{}` trains something sensible.
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainOpts {
  pub lr: Option<f32>,
  pub weight_decay: Option<f32>,
  pub batch_size: Option<usize>,
  pub epochs: Option<usize>,
  pub steps: Option<usize>,
  pub warmup: Option<usize>,
  pub min_lr_ratio: Option<f32>,
  pub grad_clip: Option<f32>,
  pub beta1: Option<f32>,
  pub beta2: Option<f32>,
  pub eval_every: Option<usize>,
  pub eval_windows: Option<usize>,
  pub log_every: Option<usize>,
  pub seed: Option<u64>,
}

pub const TRAIN_KEYS: &[&str] = &[
  "lr",
  "weightDecay",
  "batchSize",
  "epochs",
  "steps",
  "warmup",
  "minLrRatio",
  "gradClip",
  "beta1",
  "beta2",
  "evalEvery",
  "evalWindows",
  "logEvery",
  "seed",
];

/// Splits one flat config object into training options and the model's config.
pub fn split_config(cfg: &serde_json::Value) -> Res<(TrainOpts, serde_json::Value)> {
  let obj = cfg.as_object().ok_or_else(|| NativeError::InvalidArg("config must be an object".into()))?;
  let mut train = serde_json::Map::new();
  let mut model = serde_json::Map::new();
  for (k, v) in obj {
    if v.is_null() {
      continue;
    }
    if TRAIN_KEYS.contains(&k.as_str()) {
      train.insert(k.clone(), v.clone());
    } else {
      model.insert(k.clone(), v.clone());
    }
  }
  let opts: TrainOpts = match serde_json::from_value(serde_json::Value::Object(train.clone())) {
    Ok(o) => o,
    Err(e) => {
      // serde's message does not name the field for a type error; find the key that fails.
      for (k, v) in &train {
        let one = serde_json::Value::Object([(k.clone(), v.clone())].into_iter().collect());
        if let Err(e1) = serde_json::from_value::<TrainOpts>(one) {
          return invalid(format!("config.{k}: {e1}"));
        }
      }
      return invalid(format!("config: {e}"));
    }
  };
  for (name, v) in [("lr", opts.lr), ("weightDecay", opts.weight_decay), ("gradClip", opts.grad_clip)] {
    if let Some(v) = v {
      if !v.is_finite() || v < 0.0 || (name == "lr" && (v == 0.0 || v > 10.0)) {
        return invalid(format!("config.{name} must be a finite number{}, got {v}", if name == "lr" { " in (0, 10]" } else { " >= 0" }));
      }
    }
  }
  if let Some(b) = opts.batch_size {
    if b == 0 || b > 1 << 20 {
      return invalid(format!("config.batchSize must be in 1..=1048576, got {b}"));
    }
  }
  Ok((opts, serde_json::Value::Object(model)))
}

/// Host memory we allow one training run to take: AUTOGLM_MAX_MEMORY_MB, else 80% of
/// MemAvailable (so a config that cannot fit fails up front instead of being OOM-killed).
pub fn memory_limit() -> u128 {
  if let Some(mb) = std::env::var("AUTOGLM_MAX_MEMORY_MB").ok().and_then(|v| v.parse::<u128>().ok()) {
    return mb << 20;
  }
  let avail = std::fs::read_to_string("/proc/meminfo")
    .ok()
    .and_then(|s| s.lines().find(|l| l.starts_with("MemAvailable:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u128>().ok()))
    .map(|kb| kb * 1024)
    .unwrap_or(8 << 30);
  avail * 8 / 10
}

pub fn check_fits(need: u128, what: &str) -> Res<()> {
  let limit = memory_limit();
  if need > limit {
    return Err(NativeError::TooLarge(format!(
      "{what} needs about {:.2} GiB of memory but the limit is {:.2} GiB (AUTOGLM_MAX_MEMORY_MB or 80% of available memory); reduce width, layers, context or batchSize",
      need as f64 / (1u128 << 30) as f64,
      limit as f64 / (1u128 << 30) as f64
    )));
  }
  Ok(())
}

fn check_finite(v: &[f32], cols: usize, name: &str) -> Res<()> {
  if let Some(i) = v.iter().position(|x| !x.is_finite()) {
    return invalid(format!("{name} contains {} at row {}, column {}", if v[i].is_nan() { "NaN" } else { "an infinite value" }, i / cols.max(1), i % cols.max(1)));
  }
  Ok(())
}

/// Validates tabular data against the config and fills in inputs/outputs.
pub fn prepare_mlp(mut cfg: MlpConfig, d: &TabularData) -> Res<MlpConfig> {
  if d.rows == 0 {
    return invalid("data.rows must be > 0");
  }
  if !d.x.len().is_multiple_of(d.rows) || d.x.is_empty() {
    return invalid(format!("data.x has {} values, which is not data.rows ({}) × features", d.x.len(), d.rows));
  }
  let inputs = d.x.len() / d.rows;
  if cfg.inputs != 0 && cfg.inputs != inputs {
    return invalid(format!("config.inputs is {} but data.x has {} features per row", cfg.inputs, inputs));
  }
  cfg.inputs = inputs;
  check_finite(&d.x, inputs, "data.x")?;
  match cfg.task {
    Task::Classification => {
      if d.y.len() != d.rows {
        return invalid(format!("data.y must hold one class label per row ({} rows), got {} values", d.rows, d.y.len()));
      }
      check_finite(&d.y, 1, "data.y")?;
      let mut max = 0usize;
      for (i, &v) in d.y.iter().enumerate() {
        if v < 0.0 || v.fract() != 0.0 || v > 65535.0 {
          return invalid(format!("data.y[{i}] = {v} is not a class label (an integer in 0..65536)"));
        }
        max = max.max(v as usize);
      }
      if cfg.outputs == 0 {
        cfg.outputs = max + 1;
      } else if max >= cfg.outputs {
        return invalid(format!("data.y holds label {max} but config.outputs is {}", cfg.outputs));
      }
      if cfg.outputs < 2 {
        return invalid("classification needs at least 2 classes");
      }
    }
    Task::Regression => {
      if d.y.is_empty() || !d.y.len().is_multiple_of(d.rows) {
        return invalid(format!("data.y has {} values, which is not data.rows ({}) × targets", d.y.len(), d.rows));
      }
      let o = d.y.len() / d.rows;
      if cfg.outputs != 0 && cfg.outputs != o {
        return invalid(format!("config.outputs is {} but data.y has {o} targets per row", cfg.outputs));
      }
      cfg.outputs = o;
      check_finite(&d.y, o, "data.y")?;
    }
  }
  if let Some((vx, vy, vr)) = &d.val {
    if *vr == 0 || vx.len() != vr * inputs {
      return invalid(format!("data.valX must be data.valRows ({vr}) × {inputs} features, got {} values", vx.len()));
    }
    let want = if cfg.task == Task::Classification { *vr } else { vr * cfg.outputs };
    if vy.len() != want {
      return invalid(format!("data.valY must hold {want} values, got {}", vy.len()));
    }
    check_finite(vx, inputs, "data.valX")?;
    check_finite(vy, 1, "data.valY")?;
  }
  Ok(cfg)
}

pub fn mlp_evaluate(m: &Mlp, x: &[f32], y: &[f32], rows: usize) -> (f64, Option<f64>) {
  let mut a = m.acts(rows, false);
  m.forward(&mut a, x, None);
  let loss = m.loss(&mut a, y) as f64;
  let acc = if m.cfg.task == Task::Classification {
    let o = m.cfg.outputs;
    let correct = a
      .out
      .chunks(o)
      .zip(y)
      .filter(|(row, &label)| {
        let best = row.iter().enumerate().fold((0, f32::NEG_INFINITY), |b, (i, &v)| if v > b.1 { (i, v) } else { b }).0;
        best == label as usize
      })
      .count();
    Some(correct as f64 / rows as f64)
  } else {
    None
  };
  (loss, acc)
}

/// One optimizer step of mlp training on some backend (CPU below, CUDA in cuda/mlp.rs);
/// `train_mlp` owns the epochs, shuffling, batching and reporting for both.
pub trait MlpStepper {
  /// forward + loss + backward + AdamW on one batch of raw rows; returns the batch loss.
  fn step(&mut self, m: &mut Mlp, xb: &[f32], yb: &[f32], n: usize, opt: &AdamW, rng: &mut Rng) -> Res<f32>;
  /// Leaves the current weights in `m.p` (before evaluation and at the end).
  fn sync(&mut self, m: &mut Mlp) -> Res<()>;
  fn device(&self) -> &'static str;
}

pub struct CpuMlpStepper {
  optim: Optimizer,
  grads: Vec<Vec<f32>>,
  acts: crate::mlp::MlpActs,
}

impl CpuMlpStepper {
  pub fn new(m: &Mlp, batch: usize) -> Self {
    CpuMlpStepper { optim: Optimizer::new(&m.p), grads: m.p.zeros_like(), acts: m.acts(batch, true) }
  }
}

impl MlpStepper for CpuMlpStepper {
  fn step(&mut self, m: &mut Mlp, xb: &[f32], yb: &[f32], n: usize, opt: &AdamW, rng: &mut Rng) -> Res<f32> {
    if n != self.acts.rows {
      self.acts = m.acts(n, true);
    }
    m.forward(&mut self.acts, xb, Some(rng));
    let loss = m.loss(&mut self.acts, yb);
    if !loss.is_finite() {
      return Ok(loss);
    }
    zero_grads(&mut self.grads);
    m.backward(&mut self.acts, &mut self.grads);
    self.optim.step(&mut m.p, &self.grads, opt);
    Ok(loss)
  }
  fn sync(&mut self, _m: &mut Mlp) -> Res<()> {
    Ok(())
  }
  fn device(&self) -> &'static str {
    "cpu"
  }
}

/// Fits the input/target standardisation on the training rows; call before building a stepper.
pub fn mlp_prepare_stats(m: &mut Mlp, d: &TabularData) {
  m.fit_stats(&d.x, &d.y, d.rows);
}

pub fn train_mlp(m: &mut Mlp, d: &TabularData, o: &TrainOpts, cancel: &AtomicBool, report: &mut dyn FnMut(Step), stepper: &mut dyn MlpStepper) -> Res<Summary> {
  let batch = o.batch_size.unwrap_or(32).min(d.rows);
  let epochs = o.epochs.unwrap_or(20);
  let opt = AdamW {
    lr: o.lr.unwrap_or(1e-3),
    beta1: o.beta1.unwrap_or(0.9),
    beta2: o.beta2.unwrap_or(0.999),
    eps: 1e-8,
    weight_decay: o.weight_decay.unwrap_or(0.0),
  };
  let log_every = o.log_every.unwrap_or(1).max(1);
  let mut rng = Rng::new(o.seed.unwrap_or(0).wrapping_add(17));
  let (inputs, ycols) = (m.cfg.inputs, if m.cfg.task == Task::Classification { 1 } else { m.cfg.outputs });
  let mut order: Vec<usize> = (0..d.rows).collect();
  let (mut xb, mut yb) = (vec![0f32; batch * inputs], vec![0f32; batch * ycols]);
  let start = Instant::now();
  let mut step = 0u32;
  let mut summary = Summary::default();
  let mut last_loss = f64::NAN;
  'outer: for epoch in 0..epochs {
    rng.shuffle(&mut order);
    let mut i = 0;
    while i < d.rows {
      if cancel.load(Ordering::Relaxed) {
        summary.cancelled = true;
        break 'outer;
      }
      let n = batch.min(d.rows - i);
      for (j, &r) in order[i..i + n].iter().enumerate() {
        xb[j * inputs..(j + 1) * inputs].copy_from_slice(&d.x[r * inputs..(r + 1) * inputs]);
        yb[j * ycols..(j + 1) * ycols].copy_from_slice(&d.y[r * ycols..(r + 1) * ycols]);
      }
      let loss = stepper.step(m, &xb[..n * inputs], &yb[..n * ycols], n, &opt, &mut rng)?;
      if !loss.is_finite() {
        return Err(NativeError::InvalidArg(format!("training diverged at step {step} (loss {loss}); lower config.lr")));
      }
      step += 1;
      i += n;
      last_loss = loss as f64;
      let end_of_epoch = i >= d.rows;
      if (step as usize).is_multiple_of(log_every) || end_of_epoch {
        let el = start.elapsed().as_secs_f64();
        let mut s = Step {
          step,
          epoch: Some(epoch as u32 + 1),
          loss: last_loss,
          lr: opt.lr as f64,
          elapsed_ms: el * 1e3,
          items_per_sec: (step as f64 * batch as f64) / el.max(1e-9),
          ..Default::default()
        };
        if end_of_epoch {
          if let Some((vx, vy, vr)) = &d.val {
            stepper.sync(m)?;
            let (vl, va) = mlp_evaluate(m, vx, vy, *vr);
            s.val_loss = Some(vl);
            s.val_accuracy = va;
            summary.val_loss = Some(vl);
            summary.val_accuracy = va;
          }
        }
        report(s);
      }
    }
    summary.epochs = Some(epoch as u32 + 1);
  }
  stepper.sync(m)?;
  let el = start.elapsed().as_secs_f64();
  summary.steps = step;
  summary.final_loss = last_loss;
  summary.elapsed_ms = el * 1e3;
  summary.items_per_sec = step as f64 * batch as f64 / el.max(1e-9);
  summary.device = stepper.device();
  Ok(summary)
}

pub fn prepare_glm(cfg: &GlmConfig, d: &TextData, batch: usize) -> Res<()> {
  cfg.validate()?;
  if d.train.len() < cfg.context + 2 {
    return invalid(format!("data.text must be longer than context + 1 ({} bytes), got {} bytes", cfg.context + 1, d.train.len()));
  }
  if let Some(v) = &d.val {
    if v.len() < cfg.context + 2 {
      return invalid(format!("data.valText must be longer than context + 1 ({} bytes), got {} bytes", cfg.context + 1, v.len()));
    }
  }
  check_fits(cfg.train_bytes(batch), &format!("glm ({} parameters, batch {batch})", cfg.param_count()))
}

/// Linear warmup, then cosine decay to lr·min_ratio at `total`.
pub fn lr_at(step: usize, base: f32, warmup: usize, total: usize, min_ratio: f32) -> f32 {
  if step < warmup {
    return base * (step + 1) as f32 / warmup as f32;
  }
  let span = (total.saturating_sub(warmup)).max(1) as f32;
  let p = ((step - warmup) as f32 / span).min(1.0);
  let min = base * min_ratio;
  min + 0.5 * (base - min) * (1.0 + (std::f32::consts::PI * p).cos())
}

/// One optimizer step of glm training on some backend. The CPU stepper below and the CUDA
/// one (cuda/glm.rs) share `train_glm`'s loop, batches and schedule, so the same seed gives
/// the same batches on both, and their loss curves can be compared step by step.
pub trait GlmStepper {
  /// forward + backward + clip + AdamW; returns (mean loss, grad norm before clipping).
  fn step(&mut self, g: &mut Glm, tokens: &[u32], targets: &[u32], opt: &AdamW, clip: f32, rng: &mut Rng) -> Res<(f32, f32)>;
  fn eval_loss(&mut self, g: &mut Glm, text: &[u8], batch: usize, windows: usize) -> Res<f32>;
  /// Leaves the trained weights in `g.p` (the CUDA stepper copies them back from the device).
  fn finish(&mut self, g: &mut Glm) -> Res<()>;
  fn device(&self) -> &'static str;
}

pub struct CpuGlmStepper {
  optim: Optimizer,
  grads: Vec<Vec<f32>>,
  acts: Acts,
}

impl CpuGlmStepper {
  pub fn new(g: &Glm, b: usize) -> Self {
    CpuGlmStepper { optim: Optimizer::new(&g.p), grads: g.p.zeros_like(), acts: Acts::new(&g.cfg, b, g.cfg.context, true) }
  }
}

impl GlmStepper for CpuGlmStepper {
  fn step(&mut self, g: &mut Glm, tokens: &[u32], targets: &[u32], opt: &AdamW, clip: f32, rng: &mut Rng) -> Res<(f32, f32)> {
    let loss = g.forward(&mut self.acts, tokens, Some(targets), Some(rng)).unwrap_or(f32::NAN);
    if !loss.is_finite() {
      return Ok((loss, f32::NAN));
    }
    zero_grads(&mut self.grads);
    g.backward(&mut self.acts, &mut self.grads, tokens, targets);
    if !all_finite(&self.grads) {
      return Ok((loss, f32::NAN));
    }
    let norm = clip_grad_norm(&mut self.grads, clip);
    self.optim.step(&mut g.p, &self.grads, opt);
    Ok((loss, norm))
  }
  fn eval_loss(&mut self, g: &mut Glm, text: &[u8], batch: usize, windows: usize) -> Res<f32> {
    g.eval_loss(text, batch, windows)
  }
  fn finish(&mut self, _g: &mut Glm) -> Res<()> {
    Ok(())
  }
  fn device(&self) -> &'static str {
    "cpu"
  }
}

pub fn train_glm(g: &mut Glm, d: &TextData, o: &TrainOpts, cancel: &AtomicBool, report: &mut dyn FnMut(Step), stepper: &mut dyn GlmStepper) -> Res<Summary> {
  let b = o.batch_size.unwrap_or(16);
  let t = g.cfg.context;
  let total = o.steps.unwrap_or(200);
  let warmup = o.warmup.unwrap_or(total / 10).min(total);
  let base_lr = o.lr.unwrap_or(3e-3);
  let min_ratio = o.min_lr_ratio.unwrap_or(0.1);
  let clip = o.grad_clip.unwrap_or(1.0);
  let eval_every = o.eval_every.unwrap_or(0);
  let eval_windows = o.eval_windows.unwrap_or(32);
  let log_every = o.log_every.unwrap_or(1).max(1);
  let mut opt = AdamW {
    lr: base_lr,
    beta1: o.beta1.unwrap_or(0.9),
    beta2: o.beta2.unwrap_or(0.95),
    eps: 1e-8,
    weight_decay: o.weight_decay.unwrap_or(0.1),
  };
  let mut rng = Rng::new(o.seed.unwrap_or(0).wrapping_add(29));
  let (mut tokens, mut targets) = (vec![0u32; b * t], vec![0u32; b * t]);
  let start = Instant::now();
  let mut summary = Summary::default();
  let mut last_loss = f64::NAN;
  let mut step = 0usize;
  while step < total {
    if cancel.load(Ordering::Relaxed) {
      summary.cancelled = true;
      break;
    }
    for j in 0..b {
      let s = rng.below(d.train.len() - t - 1);
      for i in 0..t {
        tokens[j * t + i] = d.train[s + i] as u32;
        targets[j * t + i] = d.train[s + i + 1] as u32;
      }
    }
    opt.lr = lr_at(step, base_lr, warmup, total, min_ratio);
    let (loss, norm) = stepper.step(g, &tokens, &targets, &opt, clip, &mut rng)?;
    if !loss.is_finite() || !norm.is_finite() {
      return Err(NativeError::InvalidArg(format!("training diverged at step {step} (loss {loss}, grad norm {norm}); lower config.lr")));
    }
    step += 1;
    last_loss = loss as f64;
    let is_eval = (eval_every > 0 && step.is_multiple_of(eval_every)) || step == total;
    if step.is_multiple_of(log_every) || is_eval {
      let el = start.elapsed().as_secs_f64();
      let mut s = Step {
        step: step as u32,
        loss: last_loss,
        lr: opt.lr as f64,
        grad_norm: Some(norm as f64),
        elapsed_ms: el * 1e3,
        items_per_sec: (step * b * t) as f64 / el.max(1e-9),
        ..Default::default()
      };
      if is_eval {
        if let Some(v) = &d.val {
          let vl = stepper.eval_loss(g, v, b, eval_windows)? as f64;
          s.val_loss = Some(vl);
          summary.val_loss = Some(vl);
        }
      }
      report(s);
    }
  }
  stepper.finish(g)?;
  let el = start.elapsed().as_secs_f64();
  summary.steps = step as u32;
  summary.final_loss = last_loss;
  summary.elapsed_ms = el * 1e3;
  summary.items_per_sec = (step * b * t) as f64 / el.max(1e-9);
  Ok(summary)
}
