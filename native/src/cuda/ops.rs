//! CUDA launches and the CUDA-vs-CPU comparisons used by the GPU tests. Every entry point
//! probes first (cudarc panics on a missing library) and is called under `catch` (lib.rs).

use crate::cpu::kernels as k;
use crate::error::{NativeError, Res};
use crate::rng::Rng;
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
// `lt_emulate` applies cuBLASLt's documented semantics on the host, and the `cublaslt_layout`
// check (gradCheck) runs these three configs through it against the CPU matmul.
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

/// Host emulation of cublasLtMatmul for f32: C = α·op(A)·op(B) + β·C (+ bias[i] per row i of
/// C), all column-major with the given leading dimensions.
pub fn lt_emulate(cfg: &MatmulConfig, a: &[f32], b: &[f32], c: &mut [f32], bias: Option<&[f32]>) {
  let (m, n, k) = (cfg.m as usize, cfg.n as usize, cfg.k as usize);
  let (lda, ldb, ldc) = (cfg.lda as usize, cfg.ldb as usize, cfg.ldc as usize);
  for j in 0..n {
    for i in 0..m {
      let mut acc = 0f64;
      for p in 0..k {
        let av = if cfg.transa { a[p + i * lda] } else { a[i + p * lda] };
        let bv = if cfg.transb { b[j + p * ldb] } else { b[p + j * ldb] };
        acc += av as f64 * bv as f64;
      }
      let prev = if cfg.beta != 0.0 { cfg.beta as f64 * c[i + j * ldc] as f64 } else { 0.0 };
      c[i + j * ldc] = (cfg.alpha as f64 * acc + prev + bias.map_or(0.0, |bb| bb[i] as f64)) as f32;
    }
  }
}

/// The three configs above through `lt_emulate`, against the CPU kernels.
pub fn check_lt_layouts() -> f64 {
  let (rows, ic, oc) = (7, 5, 3);
  let mut rng = Rng::new(3);
  let (x, w, bias, dout) = (randv(&mut rng, rows * ic, 1.0), randv(&mut rng, oc * ic, 1.0), randv(&mut rng, oc, 1.0), randv(&mut rng, rows * oc, 1.0));
  let mut out = vec![0f32; rows * oc];
  k::matmul_fwd(&mut out, &x, &w, Some(&bias), rows, ic, oc);
  let (mut di, mut dw) = (vec![0.5f32; rows * ic], vec![0.25f32; oc * ic]);
  let (di0, dw0) = (di.clone(), dw.clone());
  k::matmul_bwd(Some(&mut di), &mut dw, None, &dout, &x, &w, rows, ic, oc);
  let mut e_out = vec![0f32; rows * oc];
  lt_emulate(&lt_fwd(rows, ic, oc), &w, &x, &mut e_out, Some(&bias));
  let (mut e_di, mut e_dw) = (di0, dw0);
  lt_emulate(&lt_bwd_dinp(rows, ic, oc), &w, &dout, &mut e_di, None);
  lt_emulate(&lt_bwd_dw(rows, ic, oc), &x, &dout, &mut e_dw, None);
  rel(&e_out, &out).max(rel(&e_di, &di)).max(rel(&e_dw, &dw))
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
  pub fn matmul_fwd(&self, out: &mut CudaSlice<f32>, inp: &CudaSlice<f32>, w: &CudaSlice<f32>, bias: Option<&CudaSlice<f32>>, rows: usize, ic: usize, oc: usize) -> Res<()> {
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
  pub fn attention_rows_fwd(&self, out: &mut CudaSlice<f32>, lse: &mut CudaSlice<f32>, qkv: &CudaSlice<f32>, b: usize, t: usize, c: usize, nh: usize) -> Res<()> {
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

/// Relative difference of two tensors: max|a − b| / max|b|.
fn rel(a: &[f32], b: &[f32]) -> f64 {
  let scale = b.iter().fold(1e-6f64, |m, v| m.max(v.abs() as f64));
  let diff = a.iter().zip(b).fold(0f64, |m, (x, y)| m.max((*x as f64 - *y as f64).abs()));
  if a.len() != b.len() {
    return f64::INFINITY;
  }
  diff / scale
}

fn randv(rng: &mut Rng, n: usize, s: f32) -> Vec<f32> {
  (0..n).map(|_| rng.normal() * s).collect()
}

/// Runs `kernel` on the GPU and the CPU with the same random inputs; returns the largest
/// relative difference over all outputs (forward and backward) and how many values were
/// compared. Shapes are deliberately not multiples of 32 to exercise the bounds checks.
pub fn compare(kernel: &str) -> Res<(f64, u32)> {
  let g = Gpu::new(16)?;
  let mut rng = Rng::new(11);
  let mut worst = 0f64;
  let mut count = 0u32;
  let mut cmp = |a: &[f32], b: &[f32]| {
    worst = worst.max(rel(a, b));
    count += b.len() as u32;
  };
  match kernel {
    "matmul" => {
      let (rows, ic, oc) = (70, 96, 50);
      let (x, w, bias, dout) = (randv(&mut rng, rows * ic, 1.0), randv(&mut rng, oc * ic, 0.1), randv(&mut rng, oc, 0.1), randv(&mut rng, rows * oc, 1.0));
      let mut out = vec![0f32; rows * oc];
      k::matmul_fwd(&mut out, &x, &w, Some(&bias), rows, ic, oc);
      let (mut di, mut dw, mut db) = (vec![0f32; rows * ic], vec![0f32; oc * ic], vec![0f32; oc]);
      k::matmul_bwd(Some(&mut di), &mut dw, Some(&mut db), &dout, &x, &w, rows, ic, oc);
      let (gx, gw, gb, gd) = (g.up(&x)?, g.up(&w)?, g.up(&bias)?, g.up(&dout)?);
      let mut gout = g.zeros(rows * oc)?;
      g.matmul_fwd(&mut gout, &gx, &gw, Some(&gb), rows, ic, oc)?;
      let (mut gdi, mut gdw, mut gdb) = (g.zeros(rows * ic)?, g.zeros(oc * ic)?, g.zeros(oc)?);
      g.matmul_bwd(&mut gdi, &mut gdw, Some(&mut gdb), &gd, &gx, &gw, rows, ic, oc)?;
      cmp(&g.down(&gout)?, &out);
      cmp(&g.down(&gdi)?, &di);
      cmp(&g.down(&gdw)?, &dw);
      cmp(&g.down(&gdb)?, &db);
    }
    "bias_gelu" => {
      let (rows, c) = (37, 130);
      let (x, b, dout) = (randv(&mut rng, rows * c, 2.0), randv(&mut rng, c, 0.5), randv(&mut rng, rows * c, 1.0));
      let mut out = vec![0f32; rows * c];
      k::bias_gelu_fwd(&mut out, &x, &b, rows, c);
      let (mut dx, mut db) = (vec![0f32; rows * c], vec![0f32; c]);
      k::bias_gelu_bwd(&mut dx, &mut db, &dout, &x, &b, rows, c);
      let (gx, gb, gd) = (g.up(&x)?, g.up(&b)?, g.up(&dout)?);
      let (mut gout, mut gdx, mut gdpre, mut gdb) = (g.zeros(rows * c)?, g.zeros(rows * c)?, g.zeros(rows * c)?, g.zeros(c)?);
      let n = (rows * c) as u32;
      let (ri, ci) = (rows as i32, c as i32);
      let f = g.f("bias_gelu_fwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut gout).arg(&gx).arg(&gb).arg(&ri).arg(&ci);
      unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("bias_gelu_fwd"))?;
      let f = g.f("bias_gelu_bwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut gdx).arg(&mut gdpre).arg(&gd).arg(&gx).arg(&gb).arg(&ri).arg(&ci);
      unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("bias_gelu_bwd"))?;
      g.col_sum_acc(&mut gdb, &gdpre, rows, c)?;
      cmp(&g.down(&gout)?, &out);
      cmp(&g.down(&gdx)?, &dx);
      cmp(&g.down(&gdb)?, &db);
    }
    "layernorm" => {
      let (rows, c) = (45, 200);
      let (x, w, b, dout) = (randv(&mut rng, rows * c, 1.0), randv(&mut rng, c, 1.0), randv(&mut rng, c, 0.5), randv(&mut rng, rows * c, 1.0));
      let (mut out, mut m, mut s) = (vec![0f32; rows * c], vec![0f32; rows], vec![0f32; rows]);
      k::layernorm_fwd(&mut out, &mut m, &mut s, &x, &w, &b, rows, c);
      let (mut dx, mut dw, mut db) = (vec![0f32; rows * c], vec![0f32; c], vec![0f32; c]);
      k::layernorm_bwd(&mut dx, &mut dw, &mut db, &dout, &x, &w, &m, &s, rows, c);
      let (gx, gw, gb, gd) = (g.up(&x)?, g.up(&w)?, g.up(&b)?, g.up(&dout)?);
      let (mut go, mut gm, mut gs) = (g.zeros(rows * c)?, g.zeros(rows)?, g.zeros(rows)?);
      let (ri, ci) = (rows as i32, c as i32);
      let f = g.f("layernorm_fwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut go).arg(&mut gm).arg(&mut gs).arg(&gx).arg(&gw).arg(&gb).arg(&ri).arg(&ci);
      unsafe { l.launch(Gpu::rows_cfg(rows)) }.map_err(fail("layernorm_fwd"))?;
      let (mut gdx, mut gdw, mut gdb) = (g.zeros(rows * c)?, g.zeros(c)?, g.zeros(c)?);
      let f = g.f("layernorm_bwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut gdx).arg(&mut gdw).arg(&mut gdb).arg(&gd).arg(&gx).arg(&gw).arg(&gm).arg(&gs).arg(&ri).arg(&ci);
      unsafe { l.launch(Gpu::rows_cfg(rows)) }.map_err(fail("layernorm_bwd"))?;
      cmp(&g.down(&go)?, &out);
      cmp(&g.down(&gm)?, &m);
      cmp(&g.down(&gs)?, &s);
      cmp(&g.down(&gdx)?, &dx);
      cmp(&g.down(&gdw)?, &dw);
      cmp(&g.down(&gdb)?, &db);
    }
    "attention" => {
      let (b, t, c, nh) = (3, 37, 64, 4);
      let (qkv, dout) = (randv(&mut rng, b * t * 3 * c, 1.0), randv(&mut rng, b * t * c, 1.0));
      let (mut out, mut att) = (vec![0f32; b * t * c], vec![0f32; b * nh * t * t]);
      k::attention_fwd(&mut out, &mut att, &qkv, b, t, c, nh);
      let mut dqkv = vec![0f32; b * t * 3 * c];
      k::attention_bwd(&mut dqkv, &dout, &qkv, &att, b, t, c, nh);
      let (gq, gd) = (g.up(&qkv)?, g.up(&dout)?);
      let (mut go, mut ga, mut gdq) = (g.zeros(b * t * c)?, g.zeros(b * nh * t * t)?, g.zeros(b * t * 3 * c)?);
      let (bi, ti, cc, hi) = (b as i32, t as i32, c as i32, nh as i32);
      let n = (b * nh * t) as u32;
      let f = g.f("attention_fwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut go).arg(&mut ga).arg(&gq).arg(&bi).arg(&ti).arg(&cc).arg(&hi);
      unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("attention_fwd"))?;
      let f = g.f("attention_bwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut gdq).arg(&gd).arg(&gq).arg(&ga).arg(&bi).arg(&ti).arg(&cc).arg(&hi);
      unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("attention_bwd"))?;
      cmp(&g.down(&go)?, &out);
      cmp(&g.down(&ga)?, &att);
      cmp(&g.down(&gdq)?, &dqkv);
    }
    "attention_rows" => {
      // head size 16 = the HS this Gpu was compiled for
      let (b, t, c, nh) = (3, 45, 64, 4);
      let (qkv, dout) = (randv(&mut rng, b * t * 3 * c, 1.0), randv(&mut rng, b * t * c, 1.0));
      let (mut out, mut att) = (vec![0f32; b * t * c], vec![0f32; b * nh * t * t]);
      k::attention_fwd(&mut out, &mut att, &qkv, b, t, c, nh);
      let mut dqkv = vec![0f32; b * t * 3 * c];
      k::attention_bwd(&mut dqkv, &dout, &qkv, &att, b, t, c, nh);
      let (gq, gd) = (g.up(&qkv)?, g.up(&dout)?);
      let (mut go, mut glse, mut gsum, mut gdq) = (g.zeros(b * t * c)?, g.zeros(b * nh * t)?, g.zeros(b * nh * t)?, g.zeros(b * t * 3 * c)?);
      g.attention_rows_fwd(&mut go, &mut glse, &gq, b, t, c, nh)?;
      g.attention_rows_bwd(&mut gdq, &mut gsum, &gd, &go, &gq, &glse, b, t, c, nh)?;
      cmp(&g.down(&go)?, &out);
      cmp(&g.down(&gdq)?, &dqkv);
    }
    "softmax_ce" => {
      let (n, v) = (50, 256);
      let logits = randv(&mut rng, n * v, 3.0);
      let targets: Vec<u32> = (0..n).map(|_| rng.below(v) as u32).collect();
      let dloss = vec![1.0 / n as f32; n];
      let (mut losses, mut probs) = (vec![0f32; n], vec![0f32; n * v]);
      k::softmax_ce_fwd(&mut losses, &mut probs, &logits, &targets, n, v);
      let mut dl = vec![0f32; n * v];
      k::softmax_ce_bwd(&mut dl, &probs, &targets, &dloss, n, v);
      let (gl, gt, gdl) = (g.up(&logits)?, g.up(&targets)?, g.up(&dloss)?);
      let (mut gloss, mut gp, mut gdlog) = (g.zeros(n)?, g.zeros(n * v)?, g.zeros(n * v)?);
      let (ni, vi) = (n as i32, v as i32);
      let f = g.f("softmax_ce_fwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut gloss).arg(&mut gp).arg(&gl).arg(&gt).arg(&ni).arg(&vi);
      unsafe { l.launch(Gpu::rows_cfg(n)) }.map_err(fail("softmax_ce_fwd"))?;
      let f = g.f("softmax_ce_bwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut gdlog).arg(&gp).arg(&gt).arg(&gdl).arg(&ni).arg(&vi);
      unsafe { l.launch(LaunchConfig::for_num_elems((n * v) as u32)) }.map_err(fail("softmax_ce_bwd"))?;
      cmp(&g.down(&gloss)?, &losses);
      cmp(&g.down(&gp)?, &probs);
      cmp(&g.down(&gdlog)?, &dl);
    }
    "embedding" => {
      let (b, t, c, vocab) = (4, 33, 48, 256);
      let tokens: Vec<u32> = (0..b * t).map(|_| rng.below(vocab) as u32).collect();
      let (wte, wpe, dout) = (randv(&mut rng, vocab * c, 1.0), randv(&mut rng, t * c, 1.0), randv(&mut rng, b * t * c, 1.0));
      let mut out = vec![0f32; b * t * c];
      k::embedding_fwd(&mut out, &tokens, &wte, &wpe, b, t, c);
      let (mut dwte, mut dwpe) = (vec![0f32; vocab * c], vec![0f32; t * c]);
      k::embedding_bwd(&mut dwte, &mut dwpe, &dout, &tokens, b, t, c);
      let (gtok, gte, gpe, gd) = (g.up(&tokens)?, g.up(&wte)?, g.up(&wpe)?, g.up(&dout)?);
      let (mut go, mut gdte, mut gdpe) = (g.zeros(b * t * c)?, g.zeros(vocab * c)?, g.zeros(t * c)?);
      let (bi, ti, ci) = (b as i32, t as i32, c as i32);
      let n = (b * t * c) as u32;
      let f = g.f("embedding_fwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut go).arg(&gtok).arg(&gte).arg(&gpe).arg(&bi).arg(&ti).arg(&ci);
      unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("embedding_fwd"))?;
      let f = g.f("embedding_bwd")?;
      let mut l = g.stream.launch_builder(f);
      l.arg(&mut gdte).arg(&mut gdpe).arg(&gd).arg(&gtok).arg(&bi).arg(&ti).arg(&ci);
      unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("embedding_bwd"))?;
      cmp(&g.down(&go)?, &out);
      cmp(&g.down(&gdte)?, &dwte);
      cmp(&g.down(&gdpe)?, &dwpe);
    }
    "adamw" => {
      let n = 5000;
      let (mut p, gr) = (randv(&mut rng, n, 1.0), randv(&mut rng, n, 1.0));
      let (mut m, mut v) = (randv(&mut rng, n, 0.1), randv(&mut rng, n, 0.1).iter().map(|x| x.abs()).collect::<Vec<_>>());
      let (gp0, gg, gm0, gv0) = (g.up(&p)?, g.up(&gr)?, g.up(&m)?, g.up(&v)?);
      let o = k::AdamW { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1 };
      let t = 3u64;
      k::adamw_step(&mut p, &gr, &mut m, &mut v, &o, t, true);
      let (mut gp, mut gm, mut gv) = (gp0, gm0, gv0);
      let bc1 = 1.0 - o.beta1.powi(t as i32);
      let bc2 = 1.0 - o.beta2.powi(t as i32);
      let ni = n as i32;
      let f = g.f("adamw")?;
      let mut l = g.stream.launch_builder(f);
      let gscale = 1.0f32;
      l.arg(&mut gp).arg(&gg).arg(&mut gm).arg(&mut gv).arg(&ni).arg(&o.lr).arg(&o.beta1).arg(&o.beta2).arg(&o.eps).arg(&o.weight_decay).arg(&bc1).arg(&bc2).arg(&gscale);
      unsafe { l.launch(LaunchConfig::for_num_elems(n as u32)) }.map_err(fail("adamw"))?;
      cmp(&g.down(&gp)?, &p);
      cmp(&g.down(&gm)?, &m);
      cmp(&g.down(&gv)?, &v);
    }
    other => return Err(NativeError::InvalidArg(format!("no CUDA comparison for kernel '{other}'"))),
  }
  g.stream.synchronize().map_err(fail("synchronize"))?;
  Ok((worst, count))
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
