//! glm training: data validation, the warmup + cosine schedule, the step loop, and the CPU
//! stepper.

use super::{Step, Summary, TextData, TrainOpts};
use crate::cpu::kernels::AdamW;
use crate::error::{invalid, NativeError, Res};
use crate::glm::{Acts, Glm, GlmConfig};
use crate::memory::check_fits;
use crate::params::{all_finite, clip_grad_norm, zero_grads, Optimizer};
use crate::rng::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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
fn lr_at(step: usize, base: f32, warmup: usize, total: usize, min_ratio: f32) -> f32 {
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
  let mut opt = AdamW { lr: base_lr, beta1: o.beta1.unwrap_or(0.9), beta2: o.beta2.unwrap_or(0.95), eps: 1e-8, weight_decay: o.weight_decay.unwrap_or(0.1) };
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
