//! `devices()`: the CPU and any CUDA devices, and which backend was selected and why.

use super::napi_res;
use crate::error::catch;
use crate::{cuda, device};
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
pub struct DeviceInfo {
  /// "cpu" or "cuda"
  pub kind: String,
  pub index: u32,
  pub name: String,
  pub threads: Option<u32>,
  pub simd: Option<String>,
  pub memory_bytes: Option<f64>,
  pub compute_capability: Option<String>,
}

#[napi(object)]
pub struct CudaStatus {
  pub driver: bool,
  pub nvrtc: bool,
  pub cublas_lt: bool,
  /// Why CUDA is not used, when it is not.
  pub error: Option<String>,
}

#[napi(object)]
pub struct DevicesReport {
  /// The backend the module selected ("cpu" | "cuda"), after AUTOGLM_DEVICE.
  pub selected: String,
  /// Where training runs: CUDA when selected, except runs with dropout (CPU only for now).
  pub training: String,
  pub devices: Vec<DeviceInfo>,
  pub cuda: CudaStatus,
}

#[napi]
pub fn devices() -> Result<DevicesReport> {
  napi_res(catch("devices", || {
    let p = cuda::probe();
    let mut devices = vec![DeviceInfo {
      kind: "cpu".into(),
      index: 0,
      name: device::cpu_name(),
      threads: Some(rayon::current_num_threads() as u32),
      simd: Some(device::cpu_simd()),
      memory_bytes: None,
      compute_capability: None,
    }];
    for d in &p.devices {
      devices.push(DeviceInfo {
        kind: "cuda".into(),
        index: d.ordinal,
        name: d.name.clone(),
        threads: None,
        simd: None,
        memory_bytes: Some(d.total_memory),
        compute_capability: Some(d.compute_capability.clone()),
      });
    }
    Ok(DevicesReport {
      selected: device::selected().name().into(),
      training: match device::selected() {
        device::Backend::Cuda => "cuda (runs with dropout stay on the cpu)".into(),
        device::Backend::Cpu => "cpu".into(),
      },
      devices,
      cuda: CudaStatus { driver: p.driver, nvrtc: p.nvrtc, cublas_lt: p.cublaslt, error: p.error },
    })
  }))
}
