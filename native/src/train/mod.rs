//! Training: the options and data both families share, and their loops (mlp.rs, glm.rs).
//! The loops run on a thread of their own (see js/train.rs), check an atomic cancel flag
//! every step and report through a `report` callback that must not block (js/train.rs
//! hands it a non-blocking ThreadsafeFunction with a bounded queue).

mod glm;
mod mlp;

pub use glm::{prepare_glm, train_glm, CpuGlmStepper, GlmStepper};
pub use mlp::{mlp_prepare_stats, prepare_mlp, train_mlp, CpuMlpStepper, MlpStepper};

use crate::error::{invalid, NativeError, Res};
use serde::Deserialize;

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

pub const TRAIN_KEYS: &[&str] =
  &["lr", "weightDecay", "batchSize", "epochs", "steps", "warmup", "minLrRatio", "gradClip", "beta1", "beta2", "evalEvery", "evalWindows", "logEvery", "seed"];

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
