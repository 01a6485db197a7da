//! `Model.startGeneration` → `Generation`: a glm sampling session whose `next(n)` continues the
//! same KV cache and RNG on libuv's pool, so a stream costs what one `generate` call costs.
//! The prompt's prefill runs in the first `next()`, off the JS thread too.

use super::napi_res;
use crate::error::{catch, NativeError};
use crate::glm::{Generation, Sampling};
use crate::model::Model;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Bytes one `next()` may ask for: a 1 M-byte reply is the cap `generate` has too.
const MAX_STEP: u32 = 1 << 20;

#[napi(js_name = "Generation")]
pub struct JsGeneration {
  pub(super) model: Arc<Model>,
  pub(super) state: Arc<Mutex<Session>>,
  /// Set while a `next()` is queued or running: a second one is refused rather than racing it.
  pub(super) busy: Arc<AtomicBool>,
}

#[napi]
impl JsGeneration {
  /// Up to `n` more bytes (fewer at `maxTokens`; an empty Buffer once it is reached).
  #[napi]
  pub fn next(&self, n: u32, signal: Option<AbortSignal>) -> Result<AsyncTask<NextTask>> {
    if n == 0 || n > MAX_STEP {
      return Err(NativeError::InvalidArg(format!("Generation.next: n must be 1..={MAX_STEP}, got {n}")).into());
    }
    if self.busy.swap(true, Ordering::AcqRel) {
      return Err(NativeError::InvalidArg("Generation.next: the previous next() has not settled yet; await it first".into()).into());
    }
    let task = NextTask { model: self.model.clone(), state: self.state.clone(), n: n as usize, _busy: Busy(self.busy.clone()) };
    Ok(AsyncTask::with_optional_signal(task, signal))
  }

  /// Bytes produced so far.
  #[napi(getter)]
  pub fn produced(&self) -> Result<u32> {
    Ok(self.lock()?.produced() as u32)
  }

  /// Whether `maxTokens` bytes were produced.
  #[napi(getter)]
  pub fn done(&self) -> Result<bool> {
    Ok(self.lock()?.is_done())
  }
}

/// A session before its first `next()` (the prompt and options) and after (the sampler's state).
pub struct Session {
  pub(super) prompt: Vec<u8>,
  pub(super) max_tokens: usize,
  pub(super) sampling: Sampling,
  pub(super) seed: u64,
  pub(super) started: Option<Generation>,
}

impl Session {
  fn produced(&self) -> usize {
    self.started.as_ref().map_or(0, Generation::produced)
  }
  fn is_done(&self) -> bool {
    self.started.as_ref().map_or(self.max_tokens == 0, Generation::is_done)
  }
}

impl JsGeneration {
  fn lock(&self) -> Result<std::sync::MutexGuard<'_, Session>> {
    self.state.lock().map_err(|_| NativeError::Failure("a previous next() on this generation panicked".into()).into())
  }
}

/// Clears the session's busy flag when its task is dropped: after it settles, is aborted, or fails.
pub struct Busy(Arc<AtomicBool>);

impl Drop for Busy {
  fn drop(&mut self) {
    self.0.store(false, Ordering::Release);
  }
}

pub struct NextTask {
  model: Arc<Model>,
  state: Arc<Mutex<Session>>,
  n: usize,
  _busy: Busy,
}

impl Task for NextTask {
  type Output = Vec<u8>;
  type JsValue = Buffer;
  fn compute(&mut self) -> Result<Vec<u8>> {
    let (m, st, n) = (self.model.clone(), self.state.clone(), self.n);
    napi_res(catch("Generation.next", move || {
      let mut s = st.lock().map_err(|_| NativeError::Failure("a previous next() on this generation panicked".into()))?;
      let Model::Glm(glm) = &*m else {
        return Err(NativeError::InvalidArg("a generation needs a glm model".into()));
      };
      if s.started.is_none() {
        let g = glm.start_generation(&std::mem::take(&mut s.prompt), s.max_tokens, s.sampling, s.seed)?;
        s.started = Some(g);
      }
      Ok(s.started.as_mut().map(|g| glm.generation_step(g, n)).unwrap_or_default())
    }))
  }
  fn resolve(&mut self, _: Env, out: Vec<u8>) -> Result<Buffer> {
    Ok(Buffer::from(out))
  }
}
