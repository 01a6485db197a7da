//! `startTrain` and `TrainRun`: training on a thread of its own, per-step metrics and
//! completion through ThreadsafeFunctions, cancellation through an atomic flag.

use super::model::JsModel;
use super::napi_res;
use super::train_input::{prepare, TrainData};
use crate::device;
use crate::error::{catch, NativeError};
use crate::model::Model;
use crate::train::Step;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[napi(object)]
#[derive(Clone)]
pub struct StepMetrics {
  pub step: u32,
  pub epoch: Option<u32>,
  pub loss: f64,
  pub lr: f64,
  pub grad_norm: Option<f64>,
  pub val_loss: Option<f64>,
  pub val_accuracy: Option<f64>,
  pub elapsed_ms: f64,
  /// samples/s for mlp, tokens/s for glm
  pub items_per_sec: f64,
}

#[napi(object)]
#[derive(Clone)]
pub struct TrainSummary {
  pub model: String,
  pub device: String,
  pub steps: u32,
  pub epochs: Option<u32>,
  pub final_loss: f64,
  pub val_loss: Option<f64>,
  pub val_accuracy: Option<f64>,
  pub cancelled: bool,
  pub elapsed_ms: f64,
  pub items_per_sec: f64,
  pub param_count: f64,
}

/// Per-step metrics: non-blocking, at most 64 queued (a slow listener drops metrics, it
/// never stalls training); the callee does not take an error argument.
type StepFn = ThreadsafeFunction<StepMetrics, Unknown<'static>, StepMetrics, Status, false, false, 64>;
/// Completion: node-style (err, summary).
type DoneFn = ThreadsafeFunction<TrainSummary, Unknown<'static>, TrainSummary, Status, true>;

#[napi]
pub struct TrainRun {
  cancel_flag: Arc<AtomicBool>,
  running: Arc<AtomicBool>,
  model: Arc<Mutex<Option<Arc<Model>>>>,
}

#[napi]
impl TrainRun {
  /// Asks the run to stop after its current step (a prune). Idempotent.
  #[napi]
  pub fn cancel(&self) {
    self.cancel_flag.store(true, Ordering::Relaxed);
  }

  #[napi(getter)]
  pub fn is_running(&self) -> bool {
    self.running.load(Ordering::Relaxed)
  }

  /// The trained model, once `onDone` has been called without an error.
  #[napi]
  pub fn take_model(&self) -> Option<JsModel> {
    self.model.lock().ok()?.clone().map(|inner| JsModel { inner })
  }
}

/// Validates everything up front (throws on bad input), then trains on a thread of its own.
/// `on_done(err, summary)` is called exactly once; `on_step(metrics)` per logged step.
#[napi]
pub fn start_train(model: String, config: serde_json::Value, data: TrainData, on_step: Option<StepFn>, on_done: DoneFn) -> Result<TrainRun> {
  let (prepared, opts) = napi_res(catch("train", || prepare(&model, &config, &data)))?;
  drop(data);
  let backend = device::selected();
  let run = TrainRun { cancel_flag: Arc::new(AtomicBool::new(false)), running: Arc::new(AtomicBool::new(true)), model: Arc::new(Mutex::new(None)) };
  let (cancel, running, slot) = (run.cancel_flag.clone(), run.running.clone(), run.model.clone());
  let spawned = std::thread::Builder::new().name(format!("autoglm-train-{model}")).spawn(move || {
    let mut report = |s: Step| {
      if let Some(f) = &on_step {
        // NonBlocking: if the queue (64) is full the metric is dropped, training goes on.
        let _ = f.call(
          StepMetrics {
            step: s.step,
            epoch: s.epoch,
            loss: s.loss,
            lr: s.lr,
            grad_norm: s.grad_norm,
            val_loss: s.val_loss,
            val_accuracy: s.val_accuracy,
            elapsed_ms: s.elapsed_ms,
            items_per_sec: s.items_per_sec,
          },
          ThreadsafeFunctionCallMode::NonBlocking,
        );
      }
    };
    let result = catch("training", || crate::run::train(prepared, &opts, backend, &cancel, &mut report));
    let out = match result {
      Ok((s, m)) => {
        let summary = TrainSummary {
          model: m.kind().into(),
          device: s.device.into(),
          steps: s.steps,
          epochs: s.epochs,
          final_loss: s.final_loss,
          val_loss: s.val_loss,
          val_accuracy: s.val_accuracy,
          cancelled: s.cancelled,
          elapsed_ms: s.elapsed_ms,
          items_per_sec: s.items_per_sec,
          param_count: m.param_count() as f64,
        };
        if let Ok(mut g) = slot.lock() {
          *g = Some(Arc::new(m));
        }
        Ok(summary)
      }
      Err(e) => Err(napi::Error::from(e)),
    };
    running.store(false, Ordering::Relaxed);
    on_done.call(out, ThreadsafeFunctionCallMode::Blocking);
  });
  if let Err(e) = spawned {
    return Err(NativeError::Failure(format!("cannot start the training thread: {e}")).into());
  }
  Ok(run)
}
