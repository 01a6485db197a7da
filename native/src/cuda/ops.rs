//! CUDA launches: NVRTC compilation of kernels.cu, the `Gpu` handle (module, stream,
//! cuBLASLt) and its matmul / attention wrappers. Every entry point probes first (cudarc
//! panics on a missing library) and is called under `catch` (js/).

use crate::error::{NativeError, Res};
use cudarc::cublaslt::{CudaBlasLT, Matmul, MatmulConfig};
use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaSlice, CudaStream, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions};
use std::sync::Arc;

const SRC: &str = include_str!("kernels.cu");

pub fn fail<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> NativeError + '_ {
  move |e| NativeError::Failure(format!("CUDA {what}: {e}"))
}

// cuBLASLt is column-major; our buffers are row-major, and a row-major [r, c] buffer read
// column-major is its transpose [c, r]. So each product is computed transposed:
//   out = inp · wᵀ   ⇔  outᵀ [oc × rows] = w·inpᵀ     : A = w (viewed ic×oc, so transa), B = inp
//   dinp += dout · w ⇔  dinpᵀ [ic × rows] = wᵀ·doutᵀ  : A = w (viewed ic×oc), B = dout
//   dw += doutᵀ·inp  ⇔  dwᵀ [ic × oc] = inpᵀ·dout     : A = inp (viewed ic×rows), B = dout (transb)
// checks/cublaslt_layout.rs applies cuBLASLt's documented semantics on the host and runs
// these three configs through it against the CPU matmul (gradCheck("cublaslt_layout")).
#[allow(clippy::too_many_arguments)]
fn lt_cfg(transa: bool, transb: bool, m: usize, n: usize, k: usize, lda: usize, ldb: usize, ldc: usize, beta: f32) -> MatmulConfig {
  MatmulConfig {
    transa,
    transb,
    transc: false,
    m: m as u64,
    n: n as u64,
    k: k as u64,
    alpha: 1.0,
    lda: lda as i64,
    ldb: ldb as i64,
    beta,
    ldc: ldc as i64,
    stride_a: None,
    stride_b: None,
    stride_c: None,
    stride_bias: None,
    batch_size: None,
  }
}

/// (A, B) = (w, inp); bias (length oc = m) broadcast over columns by the BIAS epilogue.
pub fn lt_fwd(rows: usize, ic: usize, oc: usize) -> MatmulConfig {
  lt_cfg(true, false, oc, rows, ic, ic, ic, oc, 0.0)
}
/// (A, B) = (w, dout), accumulating.
pub fn lt_bwd_dinp(rows: usize, ic: usize, oc: usize) -> MatmulConfig {
  lt_cfg(false, false, ic, rows, oc, ic, oc, ic, 1.0)
}
/// (A, B) = (inp, dout), accumulating.
pub fn lt_bwd_dw(rows: usize, ic: usize, oc: usize) -> MatmulConfig {
  lt_cfg(false, true, ic, oc, rows, ic, oc, ic, 1.0)
}

pub const KERNELS: &[&str] = &[
  "bias_gelu_fwd",
  "bias_gelu_bwd",
  "col_sum_acc",
  "layernorm_fwd",
  "layernorm_bwd",
  "attention_fwd",
  "attention_bwd",
  "softmax_ce_fwd",
  "softmax_ce_bwd",
  "embedding_fwd",
  "embedding_bwd",
  "adamw",
  "residual_add",
  "sum_squares",
  "attn_rows_fwd",
  "attn_rows_bwd_d",
  "attn_rows_bwd_dq",
  "attn_rows_bwd_dkv",
  "bias_act_fwd",
  "bias_act_bwd",
  "mse_fwd_bwd",
];

/// Compiles kernels.cu with NVRTC for `arch` (e.g. "compute_90") without touching the
/// driver: NVRTC needs no GPU, so this checks the CUDA C on any machine that has libnvrtc
/// (the PyPI wheel `nvidia-cuda-nvrtc` is enough). Returns the PTX size in bytes.
pub fn compile_check(arch: &str, hs: usize) -> Res<usize> {
  // SAFETY: dlopen probe only.
  if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
    return Err(NativeError::Failure("libnvrtc is not loadable".into()));
  }
  let opts = CompileOptions { options: vec![format!("--gpu-architecture={arch}"), "-default-device".into(), format!("-DHS={hs}")], ..Default::default() };
  let ptx = compile_ptx_with_opts(SRC, opts).map_err(|e| NativeError::Failure(format!("NVRTC compile of kernels.cu for {arch}: {e}")))?;
  Ok(ptx.to_src().len())
}

pub struct Gpu {
  // Held so the primary context outlives the module and cuBLASLt handle built on it.
  _ctx: Arc<CudaContext>,
  pub stream: Arc<CudaStream>,
  funcs: std::collections::HashMap<&'static str, CudaFunction>,
  pub blas: CudaBlasLT,
}

impl Gpu {
  /// `hs`: the attention head size the row-parallel attention kernels are compiled for.
  pub fn new(hs: usize) -> Res<Gpu> {
    let p = super::probe();
    if let Some(e) = p.error {
      return Err(NativeError::Failure(format!("CUDA unavailable: {e}")));
    }
    let ctx = CudaContext::new(0).map_err(fail("context"))?;
    let (maj, min) = ctx.compute_capability().map_err(fail("compute capability"))?;
    let stream = ctx.default_stream();
    let mut opts = CompileOptions {
      options: vec![format!("--gpu-architecture=compute_{maj}{min}"), "-default-device".into(), format!("-DHS={}", hs.max(1))],
      ..Default::default()
    };
    // NVRTC 13 finds no headers by itself (NATIVE-NOTES); the kernels need none, but pass
    // the toolkit's include dir when it exists so later kernels may use cuda_bf16.h.
    for dir in [std::env::var("CUDA_HOME").map(|h| format!("{h}/include")).unwrap_or_default(), "/usr/local/cuda/include".into()] {
      if !dir.is_empty() && std::path::Path::new(&dir).is_dir() {
        opts.include_paths.push(dir);
        break;
      }
    }
    let ptx = compile_ptx_with_opts(SRC, opts).map_err(fail("NVRTC compile"))?;
    let module: Arc<CudaModule> = ctx.load_module(ptx).map_err(fail("module load"))?;
    let mut funcs = std::collections::HashMap::new();
    for name in KERNELS {
      funcs.insert(*name, module.load_function(name).map_err(fail(name))?);
    }
    let blas = CudaBlasLT::new(stream.clone()).map_err(fail("cublasLt init"))?;
    Ok(Gpu { _ctx: ctx, stream, funcs, blas })
  }

  pub fn f(&self, name: &str) -> Res<&CudaFunction> {
    self.funcs.get(name).ok_or_else(|| NativeError::Failure(format!("CUDA kernel {name} not loaded")))
  }

  pub fn free_memory(&self) -> Res<(usize, usize)> {
    self._ctx.mem_get_info().map_err(fail("mem_get_info"))
  }

  pub fn up<T: cudarc::driver::DeviceRepr>(&self, v: &[T]) -> Res<CudaSlice<T>> {
    self.stream.clone_htod(v).map_err(fail("copy to device"))
  }

  pub fn down(&self, v: &CudaSlice<f32>) -> Res<Vec<f32>> {
    self.stream.clone_dtoh(v).map_err(fail("copy to host"))
  }

  pub fn zeros(&self, n: usize) -> Res<CudaSlice<f32>> {
    self.stream.alloc_zeros::<f32>(n).map_err(fail("alloc"))
  }

  /// out[rows, oc] = inp[rows, ic] · w[oc, ic]ᵀ (+ bias) via cuBLASLt (column-major view:
  /// outᵀ = w · inpᵀ). f32 storage, TF32 tensor-core math with f32 accumulation.
  #[allow(clippy::too_many_arguments)]
  pub fn matmul_fwd(
    &self,
    out: &mut CudaSlice<f32>,
    inp: &CudaSlice<f32>,
    w: &CudaSlice<f32>,
    bias: Option<&CudaSlice<f32>>,
    rows: usize,
    ic: usize,
    oc: usize,
  ) -> Res<()> {
    let cfg = lt_fwd(rows, ic, oc);
    unsafe { self.blas.matmul(cfg, w, inp, out, bias, None) }.map_err(fail("cublasLt matmul"))
  }

  /// dinp += dout·w; dw += doutᵀ·inp; dbias += Σrows dout.
  #[allow(clippy::too_many_arguments)]
  pub fn matmul_bwd(
    &self,
    dinp: &mut CudaSlice<f32>,
    dw: &mut CudaSlice<f32>,
    dbias: Option<&mut CudaSlice<f32>>,
    dout: &CudaSlice<f32>,
    inp: &CudaSlice<f32>,
    w: &CudaSlice<f32>,
    rows: usize,
    ic: usize,
    oc: usize,
  ) -> Res<()> {
    let base = lt_bwd_dinp(rows, ic, oc);
    unsafe { self.blas.matmul(base, w, dout, dinp, None, None) }.map_err(fail("cublasLt matmul (dinp)"))?;
    let cw = lt_bwd_dw(rows, ic, oc);
    unsafe { self.blas.matmul(cw, inp, dout, dw, None, None) }.map_err(fail("cublasLt matmul (dw)"))?;
    if let Some(db) = dbias {
      self.col_sum_acc(db, dout, rows, oc)?;
    }
    Ok(())
  }

  /// Row-parallel causal attention forward (kernels.cu `attn_rows_fwd`): out [B,T,C] and
  /// per-row log-sum-exp [B,NH,T]. Needs C / NH == the HS this Gpu was compiled with.
  #[allow(clippy::too_many_arguments)]
  pub fn attention_rows_fwd(
    &self,
    out: &mut CudaSlice<f32>,
    lse: &mut CudaSlice<f32>,
    qkv: &CudaSlice<f32>,
    b: usize,
    t: usize,
    c: usize,
    nh: usize,
  ) -> Res<()> {
    let (bi, ti, ci, hi) = (b as i32, t as i32, c as i32, nh as i32);
    let cfg = LaunchConfig { grid_dim: ((b * nh * t).div_ceil(128) as u32, 1, 1), block_dim: (128, 1, 1), shared_mem_bytes: 0 };
    let mut l = self.stream.launch_builder(self.f("attn_rows_fwd")?);
    l.arg(out).arg(lse).arg(qkv).arg(&bi).arg(&ti).arg(&ci).arg(&hi);
    unsafe { l.launch(cfg) }.map_err(fail("attn_rows_fwd"))?;
    Ok(())
  }

  /// Backward of `attention_rows_fwd`; accumulates into dqkv. `dsum` is [B,NH,T] scratch.
  #[allow(clippy::too_many_arguments)]
  pub fn attention_rows_bwd(
    &self,
    dqkv: &mut CudaSlice<f32>,
    dsum: &mut CudaSlice<f32>,
    dout: &CudaSlice<f32>,
    out: &CudaSlice<f32>,
    qkv: &CudaSlice<f32>,
    lse: &CudaSlice<f32>,
    b: usize,
    t: usize,
    c: usize,
    nh: usize,
  ) -> Res<()> {
    let (bi, ti, ci, hi) = (b as i32, t as i32, c as i32, nh as i32);
    let cfg = LaunchConfig { grid_dim: ((b * nh * t).div_ceil(128) as u32, 1, 1), block_dim: (128, 1, 1), shared_mem_bytes: 0 };
    let mut l = self.stream.launch_builder(self.f("attn_rows_bwd_d")?);
    l.arg(&mut *dsum).arg(dout).arg(out).arg(&bi).arg(&ti).arg(&ci).arg(&hi);
    unsafe { l.launch(cfg) }.map_err(fail("attn_rows_bwd_d"))?;
    let mut l = self.stream.launch_builder(self.f("attn_rows_bwd_dq")?);
    l.arg(&mut *dqkv).arg(dout).arg(qkv).arg(lse).arg(&*dsum).arg(&bi).arg(&ti).arg(&ci).arg(&hi);
    unsafe { l.launch(cfg) }.map_err(fail("attn_rows_bwd_dq"))?;
    let mut l = self.stream.launch_builder(self.f("attn_rows_bwd_dkv")?);
    l.arg(&mut *dqkv).arg(dout).arg(qkv).arg(lse).arg(&*dsum).arg(&bi).arg(&ti).arg(&ci).arg(&hi);
    unsafe { l.launch(cfg) }.map_err(fail("attn_rows_bwd_dkv"))?;
    Ok(())
  }

  pub fn col_sum_acc(&self, acc: &mut CudaSlice<f32>, x: &CudaSlice<f32>, rows: usize, cols: usize) -> Res<()> {
    let f = self.f("col_sum_acc")?;
    let (r, c) = (rows as i32, cols as i32);
    let mut b = self.stream.launch_builder(f);
    b.arg(acc).arg(x).arg(&r).arg(&c);
    unsafe { b.launch(LaunchConfig::for_num_elems(cols as u32)) }.map_err(fail("col_sum_acc"))?;
    Ok(())
  }

  pub fn rows_cfg(rows: usize) -> LaunchConfig {
    // 8 warps per block, one warp per row
    LaunchConfig { grid_dim: (rows.div_ceil(8) as u32, 1, 1), block_dim: (256, 1, 1), shared_mem_bytes: 0 }
  }
}

/// Seconds for one n×n×n f32 (TF32 tensor-core) cuBLASLt product, best of `iters`.
pub fn bench_gemm(n: usize, iters: usize) -> Res<f64> {
  let g = Gpu::new(64)?;
  let a = g.up(&vec![0.01f32; n * n])?;
  let b = g.up(&vec![0.02f32; n * n])?;
  let mut c = g.zeros(n * n)?;
  g.matmul_fwd(&mut c, &a, &b, None, n, n, n)?;
  g.stream.synchronize().map_err(fail("synchronize"))?;
  let mut best = f64::INFINITY;
  for _ in 0..iters {
    let t0 = std::time::Instant::now();
    for _ in 0..10 {
      g.matmul_fwd(&mut c, &a, &b, None, n, n, n)?;
    }
    g.stream.synchronize().map_err(fail("synchronize"))?;
    best = best.min(t0.elapsed().as_secs_f64() / 10.0);
  }
  Ok(best)
}
