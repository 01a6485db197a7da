//! Kernel checks: CPU gradient checks, CUDA-vs-CPU comparisons and the NVRTC compile check.

use super::napi_res;
use crate::checks;
use crate::cuda;
use crate::error::catch;
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
pub struct KernelCheck {
  pub kernel: String,
  pub device: String,
  pub max_rel_err: f64,
  pub checked: u32,
}

#[napi]
pub fn kernel_names() -> Vec<String> {
  checks::gradcheck::KERNELS.iter().map(|s| s.to_string()).collect()
}

/// Finite-difference gradient check of one CPU kernel.
#[napi]
pub fn grad_check(kernel: String, seed: Option<u32>) -> Result<KernelCheck> {
  napi_res(catch("gradCheck", || {
    let r = checks::gradcheck::run(&kernel, seed.unwrap_or(1) as u64)?;
    Ok(KernelCheck { kernel: r.kernel, device: "cpu".into(), max_rel_err: r.max_rel_err, checked: r.checked })
  }))
}

pub struct CudaCompareTask {
  kernel: String,
}

impl Task for CudaCompareTask {
  type Output = KernelCheck;
  type JsValue = KernelCheck;
  fn compute(&mut self) -> Result<KernelCheck> {
    let k = self.kernel.clone();
    napi_res(catch("cudaCompare", || {
      let (err, n) = checks::cuda_compare::compare(&k)?;
      Ok(KernelCheck { kernel: k.clone(), device: "cuda".into(), max_rel_err: err, checked: n })
    }))
  }
  fn resolve(&mut self, _: Env, out: KernelCheck) -> Result<KernelCheck> {
    Ok(out)
  }
}

/// Runs one kernel on CUDA and on the CPU with the same inputs; resolves to the largest
/// relative difference over outputs and gradients. Rejects when CUDA is unusable.
#[napi]
pub fn cuda_compare(kernel: String) -> AsyncTask<CudaCompareTask> {
  AsyncTask::new(CudaCompareTask { kernel })
}

/// Compiles the CUDA kernels with NVRTC only (no GPU needed); resolves to the PTX size.
#[napi]
pub fn cuda_compile_check(arch: Option<String>, head_size: Option<u32>) -> Result<u32> {
  let arch = arch.unwrap_or_else(|| "compute_90".into());
  let hs = head_size.unwrap_or(64).clamp(1, 256) as usize;
  napi_res(catch("cudaCompileCheck", || cuda::ops::compile_check(&arch, hs).map(|n| n as u32)))
}
