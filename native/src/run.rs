//! Trains a validated model on the selected backend: the CUDA stepper when CUDA is
//! selected (falling back to the CPU, with a log line, when it cannot start), else the CPU's.

use crate::error::{NativeError, Res};
use crate::model::Model;
use crate::train::{self, Step, Summary, TrainOpts};
use crate::{cuda, device, glm, mlp};
use std::sync::atomic::AtomicBool;

/// A model and its data, validated and ready to train.
pub enum Prepared {
  Mlp(mlp::Mlp, train::TabularData),
  Glm(glm::Glm, train::TextData),
}

/// Trains `prepared` to the end (or until `cancel`), reporting through `report`; returns the
/// summary and the trained model.
pub fn train(prepared: Prepared, opts: &TrainOpts, backend: device::Backend, cancel: &AtomicBool, report: &mut dyn FnMut(Step)) -> Res<(Summary, Model)> {
  match prepared {
    Prepared::Mlp(mut m, d) => {
      train::mlp_prepare_stats(&mut m, &d);
      let b = opts.batch_size.unwrap_or(32).min(d.rows);
      let mut stepper: Box<dyn train::MlpStepper> = match backend {
        device::Backend::Cuda => match cuda::mlp::CudaMlpStepper::new(&m, b) {
          Ok(s) => Box::new(s),
          Err(e) => {
            device::log(&format!("mlp training on CUDA could not start ({e}); training on the CPU backend"));
            Box::new(train::CpuMlpStepper::new(&m, b))
          }
        },
        device::Backend::Cpu => Box::new(train::CpuMlpStepper::new(&m, b)),
      };
      let s = train::train_mlp(&mut m, &d, opts, cancel, report, stepper.as_mut())?;
      Ok((s, Model::Mlp(m)))
    }
    Prepared::Glm(mut g, d) => {
      let b = opts.batch_size.unwrap_or(16);
      let mut stepper: Box<dyn train::GlmStepper> = match backend {
        device::Backend::Cuda => match cuda::glm::CudaGlmStepper::new(&g, b) {
          Ok(s) => Box::new(s),
          Err(NativeError::TooLarge(m)) => return Err(NativeError::TooLarge(m)),
          Err(e) => {
            device::log(&format!("glm training on CUDA could not start ({e}); training on the CPU backend"));
            Box::new(train::CpuGlmStepper::new(&g, b))
          }
        },
        device::Backend::Cpu => Box::new(train::CpuGlmStepper::new(&g, b)),
      };
      let dev = stepper.device();
      let s = train::train_glm(&mut g, &d, opts, cancel, report, stepper.as_mut())?;
      Ok((Summary { device: dev, ..s }, Model::Glm(g)))
    }
  }
}
