//! mlp training on CUDA: weights, gradients and AdamW moments on the device; batches are
//! gathered and standardised on the host (they are small) and uploaded each step.
//! Matrix products through cuBLASLt (TF32); bias+activation, softmax+CE, MSE and AdamW
//! through kernels.cu. Dropout is not implemented here (such runs stay on the CPU).
//! UNVERIFIED on a GPU: gpu-tests/ compares its loss curve with the CPU's.

use super::ops::{fail, Gpu};
use crate::cpu::kernels::{Activation, AdamW};
use crate::error::{NativeError, Res};
use crate::mlp::{Mlp, Task};
use crate::rng::Rng;
use crate::train::MlpStepper;
use cudarc::driver::{CudaSlice, LaunchConfig, PushKernelArg};

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

pub struct CudaMlpStepper {
  gpu: Gpu,
  dims: Vec<usize>,
  act: i32,
  p: Vec<CudaSlice<f32>>,
  g: Vec<CudaSlice<f32>>,
  m: Vec<CudaSlice<f32>>,
  v: Vec<CudaSlice<f32>>,
  decay: Vec<bool>,
  t: u64,
  /// inputs[i]: input of linear i (inputs[0] = the standardised batch)
  inputs: Vec<CudaSlice<f32>>,
  /// x·wᵀ before bias, hidden layers
  pre: Vec<CudaSlice<f32>>,
  out: CudaSlice<f32>,
  probs: CudaSlice<f32>,
  losses: CudaSlice<f32>,
  targets: CudaSlice<u32>,
  ytarget: CudaSlice<f32>,
  dloss: CudaSlice<f32>,
  d_a: CudaSlice<f32>,
  d_b: CudaSlice<f32>,
  d_pre: CudaSlice<f32>,
}

impl CudaMlpStepper {
  pub fn new(m: &Mlp, batch: usize) -> Res<Self> {
    if m.cfg.dropout > 0.0 {
      return Err(NativeError::Failure("dropout is not implemented on the CUDA mlp path".into()));
    }
    let gpu = Gpu::new(64)?;
    let mut dims = vec![m.cfg.inputs];
    dims.extend(std::iter::repeat_n(m.cfg.width, m.cfg.layers));
    dims.push(m.cfg.outputs);
    let maxw = *dims.iter().max().unwrap_or(&1);
    let z = |n: usize| gpu.zeros(n);
    let (mut p, mut g, mut mm, mut v) = (vec![], vec![], vec![], vec![]);
    for d in &m.p.data {
      p.push(gpu.up(d)?);
      g.push(z(d.len())?);
      mm.push(z(d.len())?);
      v.push(z(d.len())?);
    }
    let o = m.cfg.outputs;
    let act = match m.act {
      Activation::Relu => 0,
      Activation::Gelu => 1,
      Activation::Tanh => 2,
    };
    Ok(CudaMlpStepper {
      inputs: dims[..dims.len() - 1].iter().map(|d| z(batch * d)).collect::<Res<_>>()?,
      pre: dims[1..dims.len() - 1].iter().map(|d| z(batch * d)).collect::<Res<_>>()?,
      out: z(batch * o)?,
      probs: z(batch * o)?,
      losses: z(batch * o)?,
      targets: gpu.up(&vec![0u32; batch])?,
      ytarget: z(batch * o)?,
      dloss: z(batch)?,
      d_a: z(batch * maxw)?,
      d_b: z(batch * maxw)?,
      d_pre: z(batch * maxw)?,
      decay: m.p.decay.clone(),
      t: 0,
      act,
      dims,
      p,
      g,
      m: mm,
      v,
      gpu,
    })
  }
}

impl MlpStepper for CudaMlpStepper {
  fn step(&mut self, model: &mut Mlp, xb: &[f32], yb: &[f32], n: usize, opt: &AdamW, _rng: &mut Rng) -> Res<f32> {
    let gpu = &self.gpu;
    let (d0, o) = (self.dims[0], model.cfg.outputs);
    let nl = self.dims.len() - 1;
    // standardise on the host, as Mlp::forward does
    let (mean, std) = (&model.stats.data[0], &model.stats.data[1]);
    let xs: Vec<f32> = xb.iter().enumerate().map(|(i, x)| (x - mean[i % d0]) / std[i % d0]).collect();
    gpu.stream.memcpy_htod(&xs, &mut self.inputs[0]).map_err(fail("batch"))?;
    let ni = n as i32;
    // forward
    for i in 0..nl {
      let (ic, oc) = (self.dims[i], self.dims[i + 1]);
      if i + 1 == nl {
        gpu.matmul_fwd(&mut self.out, &self.inputs[i], &self.p[2 * i], Some(&self.p[2 * i + 1]), n, ic, oc)?;
      } else {
        gpu.matmul_fwd(&mut self.pre[i], &self.inputs[i], &self.p[2 * i], None, n, ic, oc)?;
        let oci = oc as i32;
        let (lo, hi) = self.inputs.split_at_mut(i + 1);
        let _ = lo;
        launch!(gpu, "bias_act_fwd", elems(n * oc), &mut hi[0], &self.pre[i], &self.p[2 * i + 1], &ni, &oci, &self.act);
      }
    }
    // loss and its gradient into d_a (n × o)
    let loss = match model.cfg.task {
      Task::Classification => {
        let tg: Vec<u32> = yb.iter().map(|v| *v as u32).collect();
        gpu.stream.memcpy_htod(&tg, &mut self.targets).map_err(fail("targets"))?;
        gpu.stream.memcpy_htod(&vec![1.0 / n as f32; n], &mut self.dloss).map_err(fail("dloss"))?;
        let oi = o as i32;
        launch!(gpu, "softmax_ce_fwd", Gpu::rows_cfg(n), &mut self.losses, &mut self.probs, &self.out, &self.targets, &ni, &oi);
        gpu.stream.memset_zeros(&mut self.d_a).map_err(fail("memset"))?;
        launch!(gpu, "softmax_ce_bwd", elems(n * o), &mut self.d_a, &self.probs, &self.targets, &self.dloss, &ni, &oi);
        let l = gpu.stream.clone_dtoh(&self.losses).map_err(fail("losses"))?;
        l[..n].iter().map(|v| *v as f64).sum::<f64>() / n as f64
      }
      Task::Regression => {
        let (ym, ys) = (&model.stats.data[2], &model.stats.data[3]);
        let t: Vec<f32> = yb.iter().enumerate().map(|(i, y)| (y - ym[i % o]) / ys[i % o]).collect();
        gpu.stream.memcpy_htod(&t, &mut self.ytarget).map_err(fail("targets"))?;
        let total = (n * o) as i32;
        launch!(gpu, "mse_fwd_bwd", elems(n * o), &mut self.d_a, &mut self.losses, &self.out, &self.ytarget, &total);
        let l = gpu.stream.clone_dtoh(&self.losses).map_err(fail("losses"))?;
        l[..n * o].iter().map(|v| *v as f64).sum::<f64>() / (n * o) as f64
      }
    } as f32;
    if !loss.is_finite() {
      return Ok(loss);
    }
    // backward: d_a holds dL/d(output of linear i)
    for x in self.g.iter_mut() {
      gpu.stream.memset_zeros(x).map_err(fail("memset"))?;
    }
    for i in (0..nl).rev() {
      let (ic, oc) = (self.dims[i], self.dims[i + 1]);
      if i + 1 < nl {
        // d_a holds dL/d(activation output): through the activation into d_pre, then the
        // bias gradient, then d_a = d_pre
        let oci = oc as i32;
        gpu.stream.memset_zeros(&mut self.d_b).map_err(fail("memset"))?;
        launch!(gpu, "bias_act_bwd", elems(n * oc), &mut self.d_b, &mut self.d_pre, &self.d_a, &self.pre[i], &self.p[2 * i + 1], &ni, &oci, &self.act);
        gpu.col_sum_acc(&mut self.g[2 * i + 1], &self.d_pre, n, oc)?;
        std::mem::swap(&mut self.d_a, &mut self.d_b);
        gpu.stream.memset_zeros(&mut self.d_b).map_err(fail("memset"))?;
        gpu.matmul_bwd(&mut self.d_b, &mut self.g[2 * i], None, &self.d_a, &self.inputs[i], &self.p[2 * i], n, ic, oc)?;
      } else {
        gpu.stream.memset_zeros(&mut self.d_b).map_err(fail("memset"))?;
        let [gw, gb] = self.g.get_disjoint_mut([2 * i, 2 * i + 1]).expect("distinct");
        gpu.matmul_bwd(&mut self.d_b, gw, Some(gb), &self.d_a, &self.inputs[i], &self.p[2 * i], n, ic, oc)?;
      }
      std::mem::swap(&mut self.d_a, &mut self.d_b);
    }
    // AdamW
    self.t += 1;
    let bc1 = 1.0 - opt.beta1.powi(self.t as i32);
    let bc2 = 1.0 - opt.beta2.powi(self.t as i32);
    let gscale = 1.0f32;
    for i in 0..self.p.len() {
      let len = self.p[i].len() as i32;
      let wd = if self.decay[i] { opt.weight_decay } else { 0.0 };
      launch!(
        gpu,
        "adamw",
        elems(len as usize),
        &mut self.p[i],
        &self.g[i],
        &mut self.m[i],
        &mut self.v[i],
        &len,
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
    Ok(loss)
  }

  fn sync(&mut self, model: &mut Mlp) -> Res<()> {
    for (dst, src) in model.p.data.iter_mut().zip(&self.p) {
      self.gpu.stream.memcpy_dtoh(src, dst.as_mut_slice()).map_err(fail("params to host"))?;
    }
    self.gpu.stream.synchronize().map_err(fail("synchronize"))
  }

  fn device(&self) -> &'static str {
    "cuda"
  }
}
