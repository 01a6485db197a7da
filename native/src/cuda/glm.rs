//! glm training on CUDA: the same forward/backward as glm.rs, with parameters, gradients,
//! AdamW moments and activations resident on the device; matrix products through
//! cuBLASLt (TF32), everything else through the NVRTC kernels in kernels.cu.
//! UNVERIFIED: written without a GPU; gpu-tests/ compares it with the CPU loss curve.

use super::ops::{fail, Gpu};
use crate::cpu::kernels::AdamW;
use crate::error::{NativeError, Res};
use crate::glm::{Glm, GlmConfig, VOCAB};
use crate::rng::Rng;
use crate::train::GlmStepper;
use cudarc::driver::{CudaSlice, LaunchConfig, PushKernelArg};

// The tensor layout is the CPU model's: one definition, so weights move between the paths.
use crate::glm::{FCB, FCPB, FCPW, FCW, LN1B, LN1W, LN2B, LN2W, PER_LAYER, PROJB, PROJW, QKVB, QKVW, WPE, WTE};

macro_rules! launch {
  ($gpu:expr, $name:literal, $cfg:expr, $($arg:expr),+ $(,)?) => {{
    let f = $gpu.f($name)?;
    let mut b = $gpu.stream.launch_builder(f);
    $( b.arg($arg); )+
    unsafe { b.launch($cfg) }.map_err(fail($name))?;
  }};
}

fn elems(n: usize) -> LaunchConfig {
  LaunchConfig::for_num_elems(n as u32)
}

struct LayerActs {
  ln1: CudaSlice<f32>,
  ln1_mean: CudaSlice<f32>,
  ln1_rstd: CudaSlice<f32>,
  qkv: CudaSlice<f32>,
  atty: CudaSlice<f32>,
  /// per-row log-sum-exp of the attention scores [B, NH, T] (no T×T matrix is kept)
  lse: CudaSlice<f32>,
  proj: CudaSlice<f32>,
  res2: CudaSlice<f32>,
  ln2: CudaSlice<f32>,
  ln2_mean: CudaSlice<f32>,
  ln2_rstd: CudaSlice<f32>,
  fch: CudaSlice<f32>,
  fch_gelu: CudaSlice<f32>,
  fcproj: CudaSlice<f32>,
  res3: CudaSlice<f32>,
}

pub struct CudaGlmStepper {
  gpu: Gpu,
  cfg: GlmConfig,
  b: usize,
  t: usize,
  p: Vec<CudaSlice<f32>>,
  g: Vec<CudaSlice<f32>>,
  m: Vec<CudaSlice<f32>>,
  v: Vec<CudaSlice<f32>>,
  decay: Vec<bool>,
  step_t: u64,
  tokens: CudaSlice<u32>,
  targets: CudaSlice<u32>,
  dloss: CudaSlice<f32>,
  norm: CudaSlice<f32>,
  dsum: CudaSlice<f32>,
  encoded: CudaSlice<f32>,
  layers: Vec<LayerActs>,
  lnf: CudaSlice<f32>,
  lnf_mean: CudaSlice<f32>,
  lnf_rstd: CudaSlice<f32>,
  logits: CudaSlice<f32>,
  probs: CudaSlice<f32>,
  losses: CudaSlice<f32>,
  d_res: CudaSlice<f32>,
  d_res2: CudaSlice<f32>,
  d_c: CudaSlice<f32>,
  d_c2: CudaSlice<f32>,
  d_qkv: CudaSlice<f32>,
  d_4c: CudaSlice<f32>,
  d_4c2: CudaSlice<f32>,
  d_4c3: CudaSlice<f32>,
  d_logits: CudaSlice<f32>,
}

/// Bytes the CUDA path needs for (cfg, batch): the CPU estimate plus cuBLASLt's workspace.
pub fn device_bytes(cfg: &GlmConfig, b: usize) -> u128 {
  cfg.train_bytes(b) + (32 << 20)
}

/// Up-front check (on the JS thread, so a too-large config throws synchronously): does the
/// run fit in device 0's free memory?
pub fn check_fits(cfg: &GlmConfig, b: usize) -> Res<()> {
  let ctx = cudarc::driver::CudaContext::new(0).map_err(fail("context"))?;
  let (free, _) = ctx.mem_get_info().map_err(fail("mem_get_info"))?;
  let need = device_bytes(cfg, b);
  if need > free as u128 * 9 / 10 {
    return Err(NativeError::TooLarge(format!(
      "glm ({} parameters, batch {b}) needs about {:.2} GiB of GPU memory but {:.2} GiB is free; reduce width, layers, context or batchSize",
      cfg.param_count(),
      need as f64 / (1u64 << 30) as f64,
      free as f64 / (1u64 << 30) as f64
    )));
  }
  Ok(())
}

impl CudaGlmStepper {
  pub fn new(glm: &Glm, b: usize) -> Res<Self> {
    if glm.cfg.dropout > 0.0 {
      return Err(NativeError::Failure("dropout is not implemented on the CUDA path".into()));
    }
    let gpu = Gpu::new(glm.cfg.width / glm.cfg.heads)?;
    let (free, _) = gpu.free_memory()?;
    let need = device_bytes(&glm.cfg, b);
    if need > free as u128 * 9 / 10 {
      return Err(NativeError::TooLarge(format!(
        "glm ({} parameters, batch {b}) needs about {:.2} GiB of GPU memory but {:.2} GiB is free; reduce width, layers, context or batchSize",
        glm.cfg.param_count(),
        need as f64 / (1u64 << 30) as f64,
        free as f64 / (1u64 << 30) as f64
      )));
    }
    let (c, nh, t) = (glm.cfg.width, glm.cfg.heads, glm.cfg.context);
    let bt = b * t;
    let z = |n: usize| gpu.zeros(n);
    let mut p = vec![];
    let mut g = vec![];
    let mut m = vec![];
    let mut v = vec![];
    for d in &glm.p.data {
      p.push(gpu.up(d)?);
      g.push(z(d.len())?);
      m.push(z(d.len())?);
      v.push(z(d.len())?);
    }
    let mut layers = vec![];
    for _ in 0..glm.cfg.layers {
      layers.push(LayerActs {
        ln1: z(bt * c)?,
        ln1_mean: z(bt)?,
        ln1_rstd: z(bt)?,
        qkv: z(bt * 3 * c)?,
        atty: z(bt * c)?,
        lse: z(b * nh * t)?,
        proj: z(bt * c)?,
        res2: z(bt * c)?,
        ln2: z(bt * c)?,
        ln2_mean: z(bt)?,
        ln2_rstd: z(bt)?,
        fch: z(bt * 4 * c)?,
        fch_gelu: z(bt * 4 * c)?,
        fcproj: z(bt * c)?,
        res3: z(bt * c)?,
      });
    }
    Ok(CudaGlmStepper {
      cfg: glm.cfg.clone(),
      b,
      t,
      decay: glm.p.decay.clone(),
      step_t: 0,
      tokens: gpu.up(&vec![0u32; bt])?,
      targets: gpu.up(&vec![0u32; bt])?,
      dloss: gpu.up(&vec![1.0 / bt as f32; bt])?,
      norm: z(1)?,
      dsum: z(b * nh * t)?,
      encoded: z(bt * c)?,
      layers,
      lnf: z(bt * c)?,
      lnf_mean: z(bt)?,
      lnf_rstd: z(bt)?,
      logits: z(bt * VOCAB)?,
      probs: z(bt * VOCAB)?,
      losses: z(bt)?,
      d_res: z(bt * c)?,
      d_res2: z(bt * c)?,
      d_c: z(bt * c)?,
      d_c2: z(bt * c)?,
      d_qkv: z(bt * 3 * c)?,
      d_4c: z(bt * 4 * c)?,
      d_4c2: z(bt * 4 * c)?,
      d_4c3: z(bt * 4 * c)?,
      d_logits: z(bt * VOCAB)?,
      p,
      g,
      m,
      v,
      gpu,
    })
  }

  fn forward(&mut self, tokens: &[u32], targets: &[u32]) -> Res<f32> {
    let (b, t, c, nh) = (self.b, self.t, self.cfg.width, self.cfg.heads);
    let bt = b * t;
    let gpu = &self.gpu;
    gpu.stream.memcpy_htod(tokens, &mut self.tokens).map_err(fail("tokens"))?;
    gpu.stream.memcpy_htod(targets, &mut self.targets).map_err(fail("targets"))?;
    let (bi, ti, ci) = (b as i32, t as i32, c as i32);
    let (bti, c4, vi) = (bt as i32, (4 * c) as i32, VOCAB as i32);
    let p = &self.p;
    launch!(gpu, "embedding_fwd", elems(bt * c), &mut self.encoded, &self.tokens, &p[WTE], &p[WPE], &bi, &ti, &ci);
    for l in 0..self.cfg.layers {
      let w = |x: usize| &p[2 + l * PER_LAYER + x];
      let (prev, rest) = self.layers.split_at_mut(l);
      let la = &mut rest[0];
      let residual = if l == 0 { &self.encoded } else { &prev[l - 1].res3 };
      launch!(gpu, "layernorm_fwd", Gpu::rows_cfg(bt), &mut la.ln1, &mut la.ln1_mean, &mut la.ln1_rstd, residual, w(LN1W), w(LN1B), &bti, &ci);
      gpu.matmul_fwd(&mut la.qkv, &la.ln1, w(QKVW), Some(w(QKVB)), bt, c, 3 * c)?;
      gpu.attention_rows_fwd(&mut la.atty, &mut la.lse, &la.qkv, b, t, c, nh)?;
      gpu.matmul_fwd(&mut la.proj, &la.atty, w(PROJW), Some(w(PROJB)), bt, c, c)?;
      let n = (bt * c) as i32;
      launch!(gpu, "residual_add", elems(bt * c), &mut la.res2, residual, &la.proj, &n);
      launch!(gpu, "layernorm_fwd", Gpu::rows_cfg(bt), &mut la.ln2, &mut la.ln2_mean, &mut la.ln2_rstd, &la.res2, w(LN2W), w(LN2B), &bti, &ci);
      gpu.matmul_fwd(&mut la.fch, &la.ln2, w(FCW), None, bt, c, 4 * c)?;
      launch!(gpu, "bias_gelu_fwd", elems(bt * 4 * c), &mut la.fch_gelu, &la.fch, w(FCB), &bti, &c4);
      gpu.matmul_fwd(&mut la.fcproj, &la.fch_gelu, w(FCPW), Some(w(FCPB)), bt, 4 * c, c)?;
      launch!(gpu, "residual_add", elems(bt * c), &mut la.res3, &la.res2, &la.fcproj, &n);
    }
    let lw = 2 + self.cfg.layers * PER_LAYER;
    let last = &self.layers[self.cfg.layers - 1].res3;
    launch!(gpu, "layernorm_fwd", Gpu::rows_cfg(bt), &mut self.lnf, &mut self.lnf_mean, &mut self.lnf_rstd, last, &p[lw], &p[lw + 1], &bti, &ci);
    gpu.matmul_fwd(&mut self.logits, &self.lnf, &p[WTE], None, bt, c, VOCAB)?;
    launch!(gpu, "softmax_ce_fwd", Gpu::rows_cfg(bt), &mut self.losses, &mut self.probs, &self.logits, &self.targets, &bti, &vi);
    let losses = gpu.stream.clone_dtoh(&self.losses).map_err(fail("losses"))?;
    Ok((losses.iter().map(|v| *v as f64).sum::<f64>() / bt as f64) as f32)
  }

  fn backward(&mut self) -> Res<()> {
    let (b, t, c, nh) = (self.b, self.t, self.cfg.width, self.cfg.heads);
    let bt = b * t;
    let gpu = &self.gpu;
    let (bi, ti, ci) = (b as i32, t as i32, c as i32);
    let (bti, c4, vi) = (bt as i32, (4 * c) as i32, VOCAB as i32);
    let p = &self.p;
    let g = &mut self.g;
    let zero = |x: &mut CudaSlice<f32>| gpu.stream.memset_zeros(x).map_err(fail("memset"));
    let copy = |src: &CudaSlice<f32>, dst: &mut CudaSlice<f32>| gpu.stream.memcpy_dtod(src, dst).map_err(fail("memcpy"));
    zero(&mut self.d_logits)?;
    launch!(gpu, "softmax_ce_bwd", elems(bt * VOCAB), &mut self.d_logits, &self.probs, &self.targets, &self.dloss, &bti, &vi);
    zero(&mut self.d_c)?;
    gpu.matmul_bwd(&mut self.d_c, &mut g[WTE], None, &self.d_logits, &self.lnf, &p[WTE], bt, c, VOCAB)?;
    let lw = 2 + self.cfg.layers * PER_LAYER;
    zero(&mut self.d_res)?;
    {
      let [gw, gb] = g.get_disjoint_mut([lw, lw + 1]).expect("distinct");
      let last = &self.layers[self.cfg.layers - 1].res3;
      launch!(gpu, "layernorm_bwd", Gpu::rows_cfg(bt), &mut self.d_res, gw, gb, &self.d_c, last, &p[lw], &self.lnf_mean, &self.lnf_rstd, &bti, &ci);
    }
    for l in (0..self.cfg.layers).rev() {
      let idx = |x: usize| 2 + l * PER_LAYER + x;
      let w = |x: usize| &p[idx(x)];
      let (prev, rest) = self.layers.split_at(l);
      let la = &rest[0];
      let residual = if l == 0 { &self.encoded } else { &prev[l - 1].res3 };
      copy(&self.d_res, &mut self.d_c)?;
      zero(&mut self.d_4c)?;
      {
        let [gw, gb] = g.get_disjoint_mut([idx(FCPW), idx(FCPB)]).expect("distinct");
        gpu.matmul_bwd(&mut self.d_4c, gw, Some(gb), &self.d_c, &la.fch_gelu, w(FCPW), bt, 4 * c, c)?;
      }
      zero(&mut self.d_4c2)?;
      launch!(gpu, "bias_gelu_bwd", elems(bt * 4 * c), &mut self.d_4c2, &mut self.d_4c3, &self.d_4c, &la.fch, w(FCB), &bti, &c4);
      gpu.col_sum_acc(&mut g[idx(FCB)], &self.d_4c3, bt, 4 * c)?;
      zero(&mut self.d_c2)?;
      gpu.matmul_bwd(&mut self.d_c2, &mut g[idx(FCW)], None, &self.d_4c2, &la.ln2, w(FCW), bt, c, 4 * c)?;
      copy(&self.d_res, &mut self.d_res2)?;
      {
        let [gw, gb] = g.get_disjoint_mut([idx(LN2W), idx(LN2B)]).expect("distinct");
        launch!(gpu, "layernorm_bwd", Gpu::rows_cfg(bt), &mut self.d_res2, gw, gb, &self.d_c2, &la.res2, w(LN2W), &la.ln2_mean, &la.ln2_rstd, &bti, &ci);
      }
      copy(&self.d_res2, &mut self.d_c)?;
      zero(&mut self.d_c2)?;
      {
        let [gw, gb] = g.get_disjoint_mut([idx(PROJW), idx(PROJB)]).expect("distinct");
        gpu.matmul_bwd(&mut self.d_c2, gw, Some(gb), &self.d_c, &la.atty, w(PROJW), bt, c, c)?;
      }
      zero(&mut self.d_qkv)?;
      gpu.attention_rows_bwd(&mut self.d_qkv, &mut self.dsum, &self.d_c2, &la.atty, &la.qkv, &la.lse, b, t, c, nh)?;
      zero(&mut self.d_c)?;
      {
        let [gw, gb] = g.get_disjoint_mut([idx(QKVW), idx(QKVB)]).expect("distinct");
        gpu.matmul_bwd(&mut self.d_c, gw, Some(gb), &self.d_qkv, &la.ln1, w(QKVW), bt, c, 3 * c)?;
      }
      copy(&self.d_res2, &mut self.d_res)?;
      {
        let [gw, gb] = g.get_disjoint_mut([idx(LN1W), idx(LN1B)]).expect("distinct");
        launch!(gpu, "layernorm_bwd", Gpu::rows_cfg(bt), &mut self.d_res, gw, gb, &self.d_c, residual, w(LN1W), &la.ln1_mean, &la.ln1_rstd, &bti, &ci);
      }
    }
    let [gte, gpe] = g.get_disjoint_mut([WTE, WPE]).expect("distinct");
    launch!(gpu, "embedding_bwd", elems(bt * c), gte, gpe, &self.d_res, &self.tokens, &bi, &ti, &ci);
    Ok(())
  }

  fn download(&self, glm: &mut Glm) -> Res<()> {
    for (dst, src) in glm.p.data.iter_mut().zip(&self.p) {
      self.gpu.stream.memcpy_dtoh(src, dst.as_mut_slice()).map_err(fail("params to host"))?;
    }
    self.gpu.stream.synchronize().map_err(fail("synchronize"))?;
    Ok(())
  }
}

impl GlmStepper for CudaGlmStepper {
  fn step(&mut self, _glm: &mut Glm, tokens: &[u32], targets: &[u32], opt: &AdamW, clip: f32, _rng: &mut Rng) -> Res<(f32, f32)> {
    let loss = self.forward(tokens, targets)?;
    for x in self.g.iter_mut() {
      self.gpu.stream.memset_zeros(x).map_err(fail("memset"))?;
    }
    self.backward()?;
    let gpu = &self.gpu;
    gpu.stream.memset_zeros(&mut self.norm).map_err(fail("memset"))?;
    for x in &self.g {
      let n = x.len() as i32;
      let blocks = x.len().div_ceil(256).min(1024) as u32;
      launch!(gpu, "sum_squares", LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (256, 1, 1), shared_mem_bytes: 0 }, &mut self.norm, x, &n);
    }
    let norm = gpu.stream.clone_dtoh(&self.norm).map_err(fail("norm"))?[0].sqrt();
    if !norm.is_finite() {
      return Ok((loss, norm));
    }
    let gscale = if clip > 0.0 && norm > clip { clip / (norm + 1e-6) } else { 1.0 };
    self.step_t += 1;
    let bc1 = 1.0 - opt.beta1.powi(self.step_t as i32);
    let bc2 = 1.0 - opt.beta2.powi(self.step_t as i32);
    for i in 0..self.p.len() {
      let n = self.p[i].len() as i32;
      let wd = if self.decay[i] { opt.weight_decay } else { 0.0 };
      launch!(
        gpu,
        "adamw",
        elems(n as usize),
        &mut self.p[i],
        &self.g[i],
        &mut self.m[i],
        &mut self.v[i],
        &n,
        &opt.lr,
        &opt.beta1,
        &opt.beta2,
        &opt.eps,
        &wd,
        &bc1,
        &bc2,
        &gscale
      );
    }
    Ok((loss, norm))
  }

  fn eval_loss(&mut self, _glm: &mut Glm, text: &[u8], _batch: usize, windows: usize) -> Res<f32> {
    let (b, t) = (self.b, self.t);
    if text.len() < t + 1 {
      return Err(NativeError::InvalidArg(format!("text must be longer than the context ({t} bytes)")));
    }
    let span = text.len() - t - 1;
    let (mut total, mut n, mut w) = (0f64, 0usize, 0usize);
    while w < windows.max(1) {
      let mut tokens = Vec::with_capacity(b * t);
      let mut targets = Vec::with_capacity(b * t);
      for j in 0..b {
        let start = if windows <= 1 { 0 } else { ((w + j) % windows) * span / (windows - 1) };
        tokens.extend(text[start..start + t].iter().map(|&v| v as u32));
        targets.extend(text[start + 1..start + t + 1].iter().map(|&v| v as u32));
      }
      total += self.forward(&tokens, &targets)? as f64 * b as f64;
      n += b;
      w += b;
    }
    Ok((total / n as f64) as f32)
  }

  fn finish(&mut self, glm: &mut Glm) -> Res<()> {
    self.download(glm)
  }

  fn device(&self) -> &'static str {
    "cuda"
  }
}
