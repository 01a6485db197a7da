//! `Model` (predict / generate / startGeneration / evalLoss / save), `loadModel` and `modelFromBytes`.

use super::generation::{JsGeneration, Session};
use super::model_tasks::{EvalTask, GenerateTask, LoadTask, PredictTask, SaveTask};
use super::napi_res;
use crate::error::{catch, NativeError};
use crate::glm::Sampling;
use crate::model::Model;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

#[napi(js_name = "Model")]
pub struct JsModel {
  pub(super) inner: Arc<Model>,
}

#[napi(object)]
pub struct GenerateOptions {
  pub max_tokens: Option<u32>,
  pub temperature: Option<f64>,
  pub top_k: Option<u32>,
  pub top_p: Option<f64>,
  pub seed: Option<u32>,
}

/// The most bytes one sequence may ask for.
const MAX_TOKENS: usize = 1 << 20;

impl GenerateOptions {
  fn sampling(&self) -> Sampling {
    Sampling { temperature: self.temperature.unwrap_or(1.0) as f32, top_k: self.top_k.unwrap_or(0) as usize, top_p: self.top_p.unwrap_or(1.0) as f32 }
  }
  fn max_tokens(&self) -> Result<usize> {
    let max_tokens = self.max_tokens.unwrap_or(100) as usize;
    if max_tokens > MAX_TOKENS {
      return Err(NativeError::InvalidArg(format!("generate: maxTokens must be at most {MAX_TOKENS}, got {max_tokens}")).into());
    }
    Ok(max_tokens)
  }
}

#[napi]
impl JsModel {
  /// "mlp" | "glm"
  #[napi(getter)]
  pub fn kind(&self) -> String {
    self.inner.kind().into()
  }

  /// The model's JSON config (as saved in the safetensors header).
  #[napi(getter)]
  pub fn config_json(&self) -> String {
    self.inner.config_json()
  }

  #[napi(getter)]
  pub fn param_count(&self) -> f64 {
    self.inner.param_count() as f64
  }

  /// mlp: class probabilities (rows × classes) or regression outputs (rows × targets).
  #[napi]
  pub fn predict(&self, x: Float32Array, rows: u32, signal: Option<AbortSignal>) -> Result<AsyncTask<PredictTask>> {
    let x = x.to_vec();
    let rows = rows as usize;
    if let Model::Mlp(m) = &*self.inner {
      if rows == 0 || x.len() != rows * m.cfg.inputs {
        return Err(NativeError::InvalidArg(format!("predict: x must be rows ({rows}) × {} features, got {} values", m.cfg.inputs, x.len())).into());
      }
      if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(
          NativeError::InvalidArg(format!("predict: x contains NaN or an infinite value at row {}, column {}", i / m.cfg.inputs, i % m.cfg.inputs)).into(),
        );
      }
    }
    Ok(AsyncTask::with_optional_signal(PredictTask { model: self.inner.clone(), x, rows }, signal))
  }

  /// glm: sample bytes after each prompt (a batch runs in parallel; prompt i uses seed + i).
  #[napi]
  pub fn generate(&self, prompts: Vec<Uint8Array>, options: Option<GenerateOptions>, signal: Option<AbortSignal>) -> Result<AsyncTask<GenerateTask>> {
    if prompts.is_empty() || prompts.len() > 4096 {
      return Err(NativeError::InvalidArg(format!("generate: 1..=4096 prompts, got {}", prompts.len())).into());
    }
    let budget = prompts.len() as u64 * options.as_ref().and_then(|o| o.max_tokens).unwrap_or(100) as u64;
    if budget > 1 << 26 {
      return Err(NativeError::InvalidArg(format!("generate: prompts × maxTokens must be at most 67108864, got {budget}")).into());
    }
    let o = options.unwrap_or(GenerateOptions { max_tokens: None, temperature: None, top_k: None, top_p: None, seed: None });
    let sampling = o.sampling();
    napi_res(sampling.check())?;
    Ok(AsyncTask::with_optional_signal(
      GenerateTask {
        model: self.inner.clone(),
        prompts: prompts.iter().map(|p| p.to_vec()).collect(),
        max_tokens: o.max_tokens()?,
        sampling,
        seed: o.seed.unwrap_or(0) as u64,
      },
      signal,
    ))
  }

  /// glm: a sampling session after `prompt`; `next(n)` continues it (the first one prefills
  /// the prompt). Same seed and options → the same bytes as `generate`.
  #[napi]
  pub fn start_generation(&self, prompt: Uint8Array, options: Option<GenerateOptions>) -> Result<JsGeneration> {
    let o = options.unwrap_or(GenerateOptions { max_tokens: None, temperature: None, top_k: None, top_p: None, seed: None });
    if !matches!(&*self.inner, Model::Glm(_)) {
      return Err(NativeError::InvalidArg("startGeneration() is for glm models; use predict() for mlp".into()).into());
    }
    let sampling = o.sampling();
    napi_res(sampling.check())?;
    let session = Session { prompt: prompt.to_vec(), max_tokens: o.max_tokens()?, sampling, seed: o.seed.unwrap_or(0) as u64, started: None };
    Ok(JsGeneration { model: self.inner.clone(), state: Arc::new(Mutex::new(session)), busy: Arc::new(AtomicBool::new(false)) })
  }

  /// glm: mean next-byte cross-entropy (nats) over `windows` evenly spaced windows.
  #[napi]
  pub fn eval_loss(&self, text: Uint8Array, windows: Option<u32>) -> AsyncTask<EvalTask> {
    AsyncTask::new(EvalTask { model: self.inner.clone(), text: text.to_vec(), windows: windows.unwrap_or(64).clamp(1, 1 << 20) as usize })
  }

  /// Writes a safetensors file (config in its header metadata). Atomic: temp file + rename.
  #[napi]
  pub fn save(&self, path: String) -> AsyncTask<SaveTask> {
    AsyncTask::new(SaveTask { model: self.inner.clone(), path })
  }
}

/// Reads a model saved by `Model.save`. Rejects with E_INVALID_ARG on a missing or corrupt file.
#[napi]
pub fn load_model(path: String) -> AsyncTask<LoadTask> {
  AsyncTask::new(LoadTask { path })
}

/// Bytes of the safetensors form, for registries that store blobs rather than files.
#[napi]
pub fn model_from_bytes(bytes: Uint8Array) -> Result<JsModel> {
  let b = bytes.to_vec();
  napi_res(catch("modelFromBytes", || Model::from_bytes(&b, "buffer").map(|m| JsModel { inner: Arc::new(m) })))
}
