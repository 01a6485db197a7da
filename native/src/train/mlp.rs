//! mlp training: data validation, the epoch/batch loop, and the CPU stepper.

use super::{Step, Summary, TabularData, TrainOpts};
use crate::cpu::kernels::AdamW;
use crate::error::{invalid, NativeError, Res};
use crate::mlp::{Mlp, MlpActs, MlpConfig, Task};
use crate::params::{zero_grads, Optimizer};
use crate::rng::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

fn check_finite(v: &[f32], cols: usize, name: &str) -> Res<()> {
  if let Some(i) = v.iter().position(|x| !x.is_finite()) {
    return invalid(format!(
      "{name} contains {} at row {}, column {}",
      if v[i].is_nan() { "NaN" } else { "an infinite value" },
      i / cols.max(1),
      i % cols.max(1)
    ));
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

fn mlp_evaluate(m: &Mlp, x: &[f32], y: &[f32], rows: usize) -> (f64, Option<f64>) {
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
  acts: MlpActs,
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
  let opt =
    AdamW { lr: o.lr.unwrap_or(1e-3), beta1: o.beta1.unwrap_or(0.9), beta2: o.beta2.unwrap_or(0.999), eps: 1e-8, weight_decay: o.weight_decay.unwrap_or(0.0) };
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
