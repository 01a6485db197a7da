//! Backend selection. CUDA is probed (library present → driver init → device count) before
//! any other CUDA call, because cudarc panics rather than erroring on a missing library or
//! symbol; every probe runs under `catch_unwind`. `AUTOGLM_DEVICE=cpu|cuda` overrides.

use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
  Cpu,
  Cuda,
}

impl Backend {
  pub fn name(self) -> &'static str {
    match self {
      Backend::Cpu => "cpu",
      Backend::Cuda => "cuda",
    }
  }
}

pub fn log(msg: &str) {
  if std::env::var("AUTOGLM_QUIET").map(|v| v == "1").unwrap_or(false) {
    return;
  }
  eprintln!("[autoglm-native] {msg}");
}

pub fn cpu_name() -> String {
  std::fs::read_to_string("/proc/cpuinfo")
    .ok()
    .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
    .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

pub fn cpu_simd() -> String {
  let mut f = vec![];
  #[cfg(target_arch = "x86_64")]
  {
    if std::is_x86_feature_detected!("avx512f") {
      f.push("avx512f");
    }
    if std::is_x86_feature_detected!("avx2") {
      f.push("avx2");
    }
    if std::is_x86_feature_detected!("fma") {
      f.push("fma");
    }
  }
  #[cfg(target_arch = "aarch64")]
  f.push("neon");
  f.join(",")
}

/// The backend that the run-time override and the probe choose, decided once per process.
pub fn selected() -> Backend {
  static SEL: OnceLock<Backend> = OnceLock::new();
  *SEL.get_or_init(|| {
    let want = std::env::var("AUTOGLM_DEVICE").unwrap_or_default().to_ascii_lowercase();
    if want == "cpu" {
      log("AUTOGLM_DEVICE=cpu: using the CPU backend");
      return Backend::Cpu;
    }
    let probe = crate::cuda::probe();
    match (&probe.error, probe.devices.is_empty()) {
      (None, false) => {
        log(&format!("CUDA backend: {} device(s), first {}", probe.devices.len(), probe.devices[0].name));
        Backend::Cuda
      }
      _ => {
        let why = probe.error.clone().unwrap_or_else(|| "no CUDA device".into());
        if want == "cuda" {
          log(&format!("AUTOGLM_DEVICE=cuda but CUDA is unusable ({why}); falling back to the CPU backend"));
        } else if !want.is_empty() && want != "auto" {
          log(&format!("AUTOGLM_DEVICE={want} is not one of cpu|cuda|auto; probing: CUDA unusable ({why}); using the CPU backend"));
        } else {
          log(&format!("no usable CUDA ({why}); using the CPU backend"));
        }
        Backend::Cpu
      }
    }
  })
}
