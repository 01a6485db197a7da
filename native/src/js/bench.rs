//! Benchmarks: attention (GEMM vs reference loops) and f32 GEMM on the CPU or cuBLASLt.

use super::napi_res;
use crate::error::{self, catch};
use crate::{cpu, cuda};
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object)]
pub struct AttentionBench {
  /// milliseconds per forward, GEMM version (all threads)
  pub gemm_ms: f64,
  /// milliseconds per forward, reference loops (one thread)
  pub loop_ms: f64,
}

/// Times attention forward at [b, t, c, nh], GEMM version vs the reference loops (bench only).
#[napi]
pub fn bench_attention(b: u32, t: u32, c: u32, nh: u32, iters: Option<u32>) -> Result<AttentionBench> {
  napi_res(catch("benchAttention", || {
    let (b, t, c, nh) = (b as usize, t as usize, c as usize, nh as usize);
    if nh == 0 || c % nh != 0 || b * t * c == 0 || b * nh * t * t > 1 << 28 {
      return error::invalid("benchAttention: need c % nh == 0 and a modest size");
    }
    let qkv: Vec<f32> = (0..b * t * 3 * c).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.05).collect();
    let (mut o, mut a) = (vec![0f32; b * t * c], vec![0f32; b * nh * t * t]);
    let n = iters.unwrap_or(5).max(1);
    let time = |f: &mut dyn FnMut()| {
      f();
      let t0 = std::time::Instant::now();
      for _ in 0..n {
        f();
      }
      t0.elapsed().as_secs_f64() * 1e3 / n as f64
    };
    let gemm_ms = time(&mut || cpu::kernels::attention_fwd(&mut o, &mut a, &qkv, b, t, c, nh));
    let loop_ms = time(&mut || cpu::kernels::attention_fwd_ref(&mut o, &mut a, &qkv, b, t, c, nh));
    Ok(AttentionBench { gemm_ms, loop_ms })
  }))
}

#[napi(object)]
pub struct GemmBench {
  pub n: u32,
  pub device: String,
  pub threads: u32,
  pub seconds: f64,
  pub gflops: f64,
}

pub struct GemmBenchTask {
  n: usize,
  threads: usize,
  iters: usize,
  device: String,
}

impl Task for GemmBenchTask {
  type Output = GemmBench;
  type JsValue = GemmBench;
  fn compute(&mut self) -> Result<GemmBench> {
    let (n, threads, iters, dev) = (self.n, self.threads, self.iters, self.device.clone());
    napi_res(catch("benchGemm", || {
      if n == 0 || n > 16384 || iters == 0 {
        return error::invalid("benchGemm: n must be in 1..=16384 and iters > 0");
      }
      if dev == "cuda" {
        let secs = cuda::ops::bench_gemm(n, iters)?;
        let gflops = 2.0 * (n as f64).powi(3) / secs / 1e9;
        return Ok(GemmBench { n: n as u32, device: dev.clone(), threads: 0, seconds: secs, gflops });
      }
      let a: Vec<f32> = (0..n * n).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.01).collect();
      let b: Vec<f32> = (0..n * n).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.01).collect();
      let mut c = vec![0f32; n * n];
      let par = if threads <= 1 { gemm::Parallelism::None } else { gemm::Parallelism::Rayon(threads) };
      // one warm-up product (packing buffers, page faults), then the best of `iters`
      cpu::kernels::sgemm(n, n, n, &a, false, &b, false, &mut c, false, Some(par));
      let mut best = f64::INFINITY;
      for _ in 0..iters {
        let t0 = std::time::Instant::now();
        cpu::kernels::sgemm(n, n, n, &a, false, &b, false, &mut c, false, Some(par));
        best = best.min(t0.elapsed().as_secs_f64());
      }
      Ok(GemmBench { n: n as u32, device: "cpu".into(), threads: threads.max(1) as u32, seconds: best, gflops: 2.0 * (n as f64).powi(3) / best / 1e9 })
    }))
  }
  fn resolve(&mut self, _: Env, out: GemmBench) -> Result<GemmBench> {
    Ok(out)
  }
}

/// f32 GEMM n×n×n, best of `iters` (after one warm-up). threads ≤ 1 means single-threaded.
#[napi]
pub fn bench_gemm(n: u32, threads: Option<u32>, iters: Option<u32>, device: Option<String>) -> AsyncTask<GemmBenchTask> {
  AsyncTask::new(GemmBenchTask {
    n: n as usize,
    threads: threads.unwrap_or(1) as usize,
    iters: iters.unwrap_or(5) as usize,
    device: device.unwrap_or_else(|| "cpu".into()),
  })
}
