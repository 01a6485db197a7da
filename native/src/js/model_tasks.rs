//! The `Model` methods' work, as napi `AsyncTask`s on libuv's pool (predict and generate
//! also take an `AbortSignal`).

use super::model::JsModel;
use super::napi_res;
use crate::error::{self, catch};
use crate::glm::Sampling;
use crate::model::Model;
use napi::bindgen_prelude::*;
use std::sync::Arc;

pub struct PredictTask {
  pub(super) model: Arc<Model>,
  pub(super) x: Vec<f32>,
  pub(super) rows: usize,
}

impl Task for PredictTask {
  type Output = Vec<f32>;
  type JsValue = Float32Array;
  fn compute(&mut self) -> Result<Vec<f32>> {
    let (m, x, rows) = (self.model.clone(), std::mem::take(&mut self.x), self.rows);
    napi_res(catch("predict", move || match &*m {
      Model::Mlp(mlp) => Ok(mlp.predict(&x, rows)),
      Model::Glm(_) => error::invalid("predict() is for mlp models; use generate() for glm"),
    }))
  }
  fn resolve(&mut self, _: Env, out: Vec<f32>) -> Result<Float32Array> {
    Ok(Float32Array::new(out))
  }
}

pub struct GenerateTask {
  pub(super) model: Arc<Model>,
  pub(super) prompts: Vec<Vec<u8>>,
  pub(super) max_tokens: usize,
  pub(super) sampling: Sampling,
  pub(super) seed: u64,
}

impl Task for GenerateTask {
  type Output = Vec<Vec<u8>>;
  type JsValue = Vec<Buffer>;
  fn compute(&mut self) -> Result<Vec<Vec<u8>>> {
    use rayon::prelude::*;
    let m = self.model.clone();
    let (ps, n, sampling, s) = (std::mem::take(&mut self.prompts), self.max_tokens, self.sampling, self.seed);
    napi_res(catch("generate", move || match &*m {
      // A batch is sequences sampled in parallel (one KV cache each), prompt i with seed + i.
      Model::Glm(g) => ps.par_iter().enumerate().map(|(i, p)| g.generate(p, n, sampling, s.wrapping_add(i as u64))).collect(),
      Model::Mlp(_) => error::invalid("generate() is for glm models; use predict() for mlp"),
    }))
  }
  fn resolve(&mut self, _: Env, out: Vec<Vec<u8>>) -> Result<Vec<Buffer>> {
    Ok(out.into_iter().map(Buffer::from).collect())
  }
}

pub struct EvalTask {
  pub(super) model: Arc<Model>,
  pub(super) text: Vec<u8>,
  pub(super) windows: usize,
}

impl Task for EvalTask {
  type Output = f64;
  type JsValue = f64;
  fn compute(&mut self) -> Result<f64> {
    let m = self.model.clone();
    let (text, w) = (std::mem::take(&mut self.text), self.windows);
    napi_res(catch("evalLoss", move || match &*m {
      Model::Glm(g) => Ok(g.eval_loss(&text, 16, w)? as f64),
      Model::Mlp(_) => error::invalid("evalLoss() is for glm models"),
    }))
  }
  fn resolve(&mut self, _: Env, out: f64) -> Result<f64> {
    Ok(out)
  }
}

pub struct SaveTask {
  pub(super) model: Arc<Model>,
  pub(super) path: String,
}

impl Task for SaveTask {
  type Output = ();
  type JsValue = ();
  fn compute(&mut self) -> Result<()> {
    let (m, p) = (self.model.clone(), self.path.clone());
    napi_res(catch("save", move || m.save(&p)))
  }
  fn resolve(&mut self, _: Env, _: ()) -> Result<()> {
    Ok(())
  }
}

pub struct LoadTask {
  pub(super) path: String,
}

impl Task for LoadTask {
  type Output = Arc<Model>;
  type JsValue = JsModel;
  fn compute(&mut self) -> Result<Arc<Model>> {
    let p = self.path.clone();
    napi_res(catch("load", move || Model::load(&p).map(Arc::new)))
  }
  fn resolve(&mut self, _: Env, inner: Arc<Model>) -> Result<JsModel> {
    Ok(JsModel { inner })
  }
}
