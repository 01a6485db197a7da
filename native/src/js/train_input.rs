//! `startTrain`'s input: the JS data object, copied and validated into a model and its data
//! before anything leaves the JS thread (bad input throws synchronously).

use crate::error::{self, NativeError, Res};
use crate::memory::check_fits;
use crate::run::Prepared;
use crate::train::{self, TrainOpts};
use crate::{cuda, device, glm, mlp};
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object, object_to_js = false)]
pub struct TrainData {
  /// mlp: features, row-major rows × inputs
  pub x: Option<Float32Array>,
  /// mlp: class labels (one per row) or regression targets (rows × outputs)
  pub y: Option<Float32Array>,
  pub rows: Option<u32>,
  pub val_x: Option<Float32Array>,
  pub val_y: Option<Float32Array>,
  pub val_rows: Option<u32>,
  /// glm: training bytes
  pub text: Option<Uint8Array>,
  /// glm: held-out bytes
  pub val_text: Option<Uint8Array>,
}

fn f32s(a: &Option<Float32Array>) -> Option<Vec<f32>> {
  a.as_ref().map(|v| v.to_vec())
}

/// Splits the config, refuses options of the other family, then copies and validates the
/// data for `model` ("mlp" | "glm").
pub fn prepare(model: &str, config: &serde_json::Value, data: &TrainData) -> Res<(Prepared, TrainOpts)> {
  let (opts, mcfg) = train::split_config(config)?;
  check_misplaced(model, &opts)?;
  let seed = opts.seed.unwrap_or(0);
  match model {
    "mlp" => Ok((prepare_mlp(mcfg, data, &opts, seed)?, opts)),
    "glm" => Ok((prepare_glm(mcfg, data, &opts, seed)?, opts)),
    other => error::invalid(format!("unknown model '{other}'; expected 'mlp' or 'glm'")),
  }
}

/// mlp trains for epochs; glm for steps with warmup, cosine decay and clipping.
fn check_misplaced(model: &str, opts: &TrainOpts) -> Res<()> {
  let set = |name: &'static str, v: bool| if v { Some(name) } else { None };
  let misplaced: Vec<&str> = match model {
    "mlp" => [
      set("steps", opts.steps.is_some()),
      set("warmup", opts.warmup.is_some()),
      set("minLrRatio", opts.min_lr_ratio.is_some()),
      set("gradClip", opts.grad_clip.is_some()),
      set("evalEvery", opts.eval_every.is_some()),
      set("evalWindows", opts.eval_windows.is_some()),
    ]
    .into_iter()
    .flatten()
    .collect(),
    "glm" => [set("epochs", opts.epochs.is_some())].into_iter().flatten().collect(),
    _ => vec![],
  };
  if !misplaced.is_empty() {
    return error::invalid(format!(
      "config.{} does not apply to {model} (mlp trains for epochs; glm for steps with warmup, cosine decay and clipping)",
      misplaced.join(", config.")
    ));
  }
  Ok(())
}

fn prepare_mlp(mcfg: serde_json::Value, data: &TrainData, opts: &TrainOpts, seed: u64) -> Res<Prepared> {
  let cfg: mlp::MlpConfig = serde_json::from_value(mcfg).map_err(|e| NativeError::InvalidArg(format!("mlp config: {e}")))?;
  let (x, y) = match (f32s(&data.x), f32s(&data.y)) {
    (Some(x), Some(y)) => (x, y),
    _ => return error::invalid("mlp needs data.x (Float32Array) and data.y (Float32Array)"),
  };
  let rows = data.rows.ok_or_else(|| NativeError::InvalidArg("mlp needs data.rows".into()))? as usize;
  let val = match (f32s(&data.val_x), f32s(&data.val_y)) {
    (Some(vx), Some(vy)) => Some((vx, vy, data.val_rows.ok_or_else(|| NativeError::InvalidArg("data.valX needs data.valRows".into()))? as usize)),
    (None, None) => None,
    _ => return error::invalid("data.valX and data.valY go together"),
  };
  let d = train::TabularData { x, y, rows, val };
  let cfg = train::prepare_mlp(cfg, &d)?;
  let batch = opts.batch_size.unwrap_or(32).min(rows);
  check_fits(cfg.train_bytes(batch), &format!("mlp ({} parameters)", cfg.param_count()))?;
  Ok(Prepared::Mlp(mlp::Mlp::new(cfg, seed)?, d))
}

fn prepare_glm(mcfg: serde_json::Value, data: &TrainData, opts: &TrainOpts, seed: u64) -> Res<Prepared> {
  let cfg: glm::GlmConfig = serde_json::from_value(mcfg).map_err(|e| NativeError::InvalidArg(format!("glm config: {e}")))?;
  let text = data.text.as_ref().map(|t| t.to_vec()).ok_or_else(|| NativeError::InvalidArg("glm needs data.text (Uint8Array or Buffer)".into()))?;
  let d = train::TextData { train: text, val: data.val_text.as_ref().map(|t| t.to_vec()) };
  let b = opts.batch_size.unwrap_or(16);
  train::prepare_glm(&cfg, &d, b)?;
  if device::selected() == device::Backend::Cuda && cfg.dropout == 0.0 {
    cuda::glm::check_fits(&cfg, b)?;
  }
  Ok(Prepared::Glm(glm::Glm::new(cfg, seed)?, d))
}
