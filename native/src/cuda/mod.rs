//! CUDA path, loaded at run time through cudarc's dynamic loading (no CUDA library is
//! linked). kernels.cu holds the CUDA C (compiled by NVRTC at run time), ops.rs the launches,
//! glm.rs and mlp.rs the training steppers.

use std::sync::OnceLock;

#[derive(Clone, Debug)]
pub struct CudaDevice {
  pub ordinal: u32,
  pub name: String,
  pub total_memory: f64,
  pub compute_capability: String,
}

#[derive(Clone, Debug, Default)]
pub struct Probe {
  pub driver: bool,
  pub nvrtc: bool,
  pub cublaslt: bool,
  pub devices: Vec<CudaDevice>,
  pub error: Option<String>,
}

fn probe_inner() -> Probe {
  let mut p = Probe::default();
  // SAFETY: these only try dlopen on candidate names; they do not call into CUDA.
  unsafe {
    p.driver = cudarc::driver::sys::is_culib_present();
    p.nvrtc = cudarc::nvrtc::sys::is_culib_present();
    p.cublaslt = cudarc::cublaslt::sys::is_culib_present();
  }
  if !p.driver {
    p.error = Some("libcuda.so (the NVIDIA driver library) is not loadable".into());
    return p;
  }
  let count = match cudarc::driver::CudaContext::device_count() {
    Ok(n) => n,
    Err(e) => {
      p.error = Some(format!("cuInit/cuDeviceGetCount failed: {e}"));
      return p;
    }
  };
  for i in 0..count.max(0) as usize {
    match cudarc::driver::CudaContext::new(i) {
      Ok(ctx) => {
        let cc = ctx.compute_capability().map(|(a, b)| format!("{a}.{b}")).unwrap_or_default();
        p.devices.push(CudaDevice {
          ordinal: i as u32,
          name: ctx.name().unwrap_or_else(|_| "unknown".into()),
          total_memory: ctx.total_mem().unwrap_or(0) as f64,
          compute_capability: cc,
        });
      }
      Err(e) => {
        p.error = Some(format!("cannot create a context on device {i}: {e}"));
      }
    }
  }
  if p.devices.is_empty() && p.error.is_none() {
    p.error = Some("the driver reports no CUDA device".into());
  }
  if p.error.is_none() && !(p.nvrtc && p.cublaslt) {
    p.error = Some(format!(
      "driver found but {} missing",
      [(!p.nvrtc).then_some("libnvrtc"), (!p.cublaslt).then_some("libcublasLt")].into_iter().flatten().collect::<Vec<_>>().join(" and ")
    ));
  }
  p
}

/// Probes once per process; a panic inside cudarc becomes an error string.
pub fn probe() -> Probe {
  static P: OnceLock<Probe> = OnceLock::new();
  P.get_or_init(|| match std::panic::catch_unwind(probe_inner) {
    Ok(p) => p,
    Err(_) => Probe { error: Some("CUDA probe panicked (a CUDA library or symbol is missing)".into()), ..Default::default() },
  })
  .clone()
}
pub mod glm;
pub mod mlp;
pub mod ops;
