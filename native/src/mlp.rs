//! `mlp`: a multi-layer perceptron for tabular classification (softmax cross-entropy) and
//! regression (MSE). Inputs are standardised with statistics from the training set (and,
//! for regression, so are the targets); the statistics are saved with the weights.

use crate::cpu::kernels::{self as k, Activation};
use crate::error::{invalid, Res};
use crate::params::{Init, Tensors};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Task {
  Classification,
  Regression,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MlpConfig {
  pub task: Task,
  /// Input features (filled in from the data when omitted).
  #[serde(default)]
  pub inputs: usize,
  /// Classes (classification) or targets per row (regression); filled in from the data.
  #[serde(default)]
  pub outputs: usize,
  /// Hidden layers (0 = a linear model).
  #[serde(default = "d_layers")]
  pub layers: usize,
  #[serde(default = "d_width")]
  pub width: usize,
  #[serde(default = "d_act")]
  pub activation: String,
  #[serde(default)]
  pub dropout: f32,
}
fn d_layers() -> usize {
  2
}
fn d_width() -> usize {
  64
}
fn d_act() -> String {
  "relu".into()
}

impl MlpConfig {
  pub fn validate(&self) -> Res<Activation> {
    let act = Activation::parse(&self.activation)
      .ok_or_else(|| crate::error::NativeError::InvalidArg(format!("mlp.activation must be relu, gelu or tanh, got '{}'", self.activation)))?;
    if self.inputs == 0 || self.outputs == 0 {
      return invalid("mlp needs at least one input feature and one output");
    }
    if self.layers > 64 {
      return invalid(format!("mlp.layers must be at most 64, got {}", self.layers));
    }
    if self.width == 0 || self.width > 65536 {
      return invalid(format!("mlp.width must be in 1..=65536, got {}", self.width));
    }
    if !(0.0..0.95).contains(&self.dropout) {
      return invalid(format!("mlp.dropout must be in [0, 0.95), got {}", self.dropout));
    }
    Ok(act)
  }

  fn dims(&self) -> Vec<usize> {
    let mut d = vec![self.inputs];
    d.extend(std::iter::repeat_n(self.width, self.layers));
    d.push(self.outputs);
    d
  }

  pub fn param_count(&self) -> usize {
    self.dims().windows(2).map(|w| w[0] * w[1] + w[1]).sum()
  }

  pub fn train_bytes(&self, batch: usize) -> u128 {
    let acts: usize = self.dims().iter().map(|d| 4 * batch * d).sum();
    4 * (4 * self.param_count() as u128 + acts as u128 + 2 * (self.inputs + self.outputs) as u128)
  }
}

pub struct Mlp {
  pub cfg: MlpConfig,
  pub act: Activation,
  /// Trainable: w0, b0, w1, b1, ...
  pub p: Tensors,
  /// Not trained: x_mean, x_std, y_mean, y_std.
  pub stats: Tensors,
}

pub struct MlpActs {
  pub rows: usize,
  /// Input to each linear layer (layer 0's is the standardised x).
  inputs: Vec<Vec<f32>>,
  /// x·wᵀ before bias, for each hidden layer.
  pre: Vec<Vec<f32>>,
  masks: Vec<Vec<f32>>,
  pub out: Vec<f32>,
  d_a: Vec<f32>,
  d_b: Vec<f32>,
  pub d_out: Vec<f32>,
}

impl Mlp {
  pub fn new(cfg: MlpConfig, seed: u64) -> Res<Self> {
    let act = cfg.validate()?;
    let mut rng = Rng::new(seed);
    let mut p = Tensors::new();
    for (i, w) in cfg.dims().windows(2).enumerate() {
      // He init for relu, Xavier-ish otherwise.
      let gain = if act == Activation::Relu { 2.0 } else { 1.0 };
      p.add(format!("l{i}.w"), &[w[1], w[0]], Init::Normal((gain / w[0] as f32).sqrt()), &mut rng);
      p.add(format!("l{i}.b"), &[w[1]], Init::Zeros, &mut rng);
    }
    let mut stats = Tensors::new();
    stats.add("x_mean", &[cfg.inputs], Init::Zeros, &mut rng);
    stats.add("x_std", &[cfg.inputs], Init::Ones, &mut rng);
    stats.add("y_mean", &[cfg.outputs], Init::Zeros, &mut rng);
    stats.add("y_std", &[cfg.outputs], Init::Ones, &mut rng);
    for i in 0..stats.decay.len() {
      stats.decay[i] = false;
    }
    Ok(Mlp { cfg, act, p, stats })
  }

  pub fn n_linear(&self) -> usize {
    self.cfg.layers + 1
  }

  /// Sets standardisation statistics from training data (x rows×inputs, y rows×outputs for
  /// regression). A constant feature gets std 1 so it passes through as 0.
  pub fn fit_stats(&mut self, x: &[f32], y: &[f32], rows: usize) {
    let fit = |v: &[f32], cols: usize, mean: &mut [f32], std: &mut [f32]| {
      for j in 0..cols {
        let m = (0..rows).map(|r| v[r * cols + j] as f64).sum::<f64>() / rows as f64;
        let var = (0..rows).map(|r| (v[r * cols + j] as f64 - m).powi(2)).sum::<f64>() / rows as f64;
        mean[j] = m as f32;
        std[j] = if var > 1e-12 { var.sqrt() as f32 } else { 1.0 };
      }
    };
    let d = self.cfg.inputs;
    let (a, b) = self.stats.data.split_at_mut(1);
    fit(x, d, &mut a[0], &mut b[0]);
    if self.cfg.task == Task::Regression {
      let o = self.cfg.outputs;
      let (a, b) = self.stats.data.split_at_mut(3);
      fit(y, o, &mut a[2], &mut b[0]);
    }
  }

  pub fn acts(&self, rows: usize, with_grads: bool) -> MlpActs {
    let dims = self.cfg.dims();
    let g = |n: usize| if with_grads { vec![0f32; n] } else { vec![] };
    let maxw = *dims.iter().max().unwrap_or(&1);
    MlpActs {
      rows,
      inputs: dims[..dims.len() - 1].iter().map(|d| vec![0f32; rows * d]).collect(),
      pre: dims[1..dims.len() - 1].iter().map(|d| vec![0f32; rows * d]).collect(),
      masks: dims[1..dims.len() - 1].iter().map(|d| if with_grads && self.cfg.dropout > 0.0 { vec![0f32; rows * d] } else { vec![] }).collect(),
      out: vec![0f32; rows * self.cfg.outputs],
      d_a: g(rows * maxw),
      d_b: g(rows * maxw),
      d_out: g(rows * self.cfg.outputs),
    }
  }

  /// Forward on raw (unstandardised) x; leaves logits / standardised predictions in a.out.
  pub fn forward(&self, a: &mut MlpActs, x: &[f32], mut train_rng: Option<&mut Rng>) {
    let (rows, d) = (a.rows, self.cfg.inputs);
    let (mean, std) = (&self.stats.data[0], &self.stats.data[1]);
    for r in 0..rows {
      for j in 0..d {
        a.inputs[0][r * d + j] = (x[r * d + j] - mean[j]) / std[j];
      }
    }
    let dims = self.cfg.dims();
    let n = self.n_linear();
    for i in 0..n {
      let (w, b) = (&self.p.data[2 * i], &self.p.data[2 * i + 1]);
      let (ic, oc) = (dims[i], dims[i + 1]);
      if i + 1 == n {
        k::matmul_fwd(&mut a.out, &a.inputs[i], w, Some(b), rows, ic, oc);
      } else {
        k::matmul_fwd(&mut a.pre[i], &a.inputs[i], w, None, rows, ic, oc);
        let (lo, hi) = a.inputs.split_at_mut(i + 1);
        let _ = lo;
        k::bias_act_fwd(&mut hi[0], &a.pre[i], b, rows, oc, self.act);
        if let (Some(rng), false) = (train_rng.as_deref_mut(), a.masks[i].is_empty()) {
          k::dropout_fwd(&mut hi[0], &mut a.masks[i], self.cfg.dropout, rng);
        }
      }
    }
  }

  /// Loss of a.out against y (class indices or raw targets) and its gradient in a.d_out.
  pub fn loss(&self, a: &mut MlpActs, y: &[f32]) -> f32 {
    let (rows, o) = (a.rows, self.cfg.outputs);
    match self.cfg.task {
      Task::Classification => {
        let targets: Vec<u32> = y[..rows].iter().map(|v| *v as u32).collect();
        let mut losses = vec![0f32; rows];
        let mut probs = vec![0f32; rows * o];
        k::softmax_ce_fwd(&mut losses, &mut probs, &a.out, &targets, rows, o);
        if !a.d_out.is_empty() {
          a.d_out.fill(0.0);
          k::softmax_ce_bwd(&mut a.d_out, &probs, &targets, &vec![1.0 / rows as f32; rows], rows, o);
        }
        losses.iter().sum::<f32>() / rows as f32
      }
      Task::Regression => {
        let (ym, ys) = (&self.stats.data[2], &self.stats.data[3]);
        let t: Vec<f32> = (0..rows * o).map(|i| (y[i] - ym[i % o]) / ys[i % o]).collect();
        let mut d = vec![0f32; rows * o];
        let l = k::mse(&mut d, &a.out, &t);
        if !a.d_out.is_empty() {
          a.d_out.copy_from_slice(&d);
        }
        l
      }
    }
  }

  pub fn backward(&self, a: &mut MlpActs, g: &mut [Vec<f32>]) {
    let rows = a.rows;
    let dims = self.cfg.dims();
    let n = self.n_linear();
    // d_a holds dL/d(output of linear i); start with the head.
    let o = self.cfg.outputs;
    a.d_a[..rows * o].copy_from_slice(&a.d_out);
    for i in (0..n).rev() {
      let (ic, oc) = (dims[i], dims[i + 1]);
      let w = &self.p.data[2 * i];
      if i + 1 < n {
        // d_a currently holds dL/d(activation output); undo dropout and the activation.
        if !a.masks[i].is_empty() {
          for (x, m) in a.d_a[..rows * oc].iter_mut().zip(&a.masks[i]) {
            *x *= m;
          }
        }
        a.d_b[..rows * oc].fill(0.0);
        k::bias_act_bwd(&mut a.d_b, &mut g[2 * i + 1], &a.d_a, &a.pre[i], &self.p.data[2 * i + 1], rows, oc, self.act);
        std::mem::swap(&mut a.d_a, &mut a.d_b);
        // d_a now holds dL/d(x·wᵀ) (no bias term left to add)
        a.d_b[..rows * ic].fill(0.0);
        let dinp = if i > 0 { Some(&mut a.d_b[..rows * ic]) } else { None };
        k::matmul_bwd(dinp, &mut g[2 * i], None, &a.d_a[..rows * oc], &a.inputs[i], w, rows, ic, oc);
      } else {
        a.d_b[..rows * ic].fill(0.0);
        let [gw, gb] = g.get_disjoint_mut([2 * i, 2 * i + 1]).expect("distinct");
        let dinp = if i > 0 { Some(&mut a.d_b[..rows * ic]) } else { None };
        k::matmul_bwd(dinp, gw, Some(gb), &a.d_a[..rows * oc], &a.inputs[i], w, rows, ic, oc);
      }
      std::mem::swap(&mut a.d_a, &mut a.d_b);
    }
  }

  /// Predictions for raw x: class probabilities (classification) or targets in the
  /// original units (regression). Runs in chunks so memory stays bounded.
  pub fn predict(&self, x: &[f32], rows: usize) -> Vec<f32> {
    let (d, o) = (self.cfg.inputs, self.cfg.outputs);
    let mut out = vec![0f32; rows * o];
    let chunk = 1024;
    let mut a = self.acts(chunk.min(rows).max(1), false);
    let mut r0 = 0;
    while r0 < rows {
      let n = chunk.min(rows - r0);
      if a.rows != n {
        a = self.acts(n, false);
      }
      self.forward(&mut a, &x[r0 * d..(r0 + n) * d], None);
      let dst = &mut out[r0 * o..(r0 + n) * o];
      match self.cfg.task {
        Task::Classification => {
          for (src, dst) in a.out.chunks(o).zip(dst.chunks_mut(o)) {
            let m = src.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let mut s = 0f32;
            for j in 0..o {
              dst[j] = (src[j] - m).exp();
              s += dst[j];
            }
            for v in dst.iter_mut() {
              *v /= s;
            }
          }
        }
        Task::Regression => {
          let (ym, ys) = (&self.stats.data[2], &self.stats.data[3]);
          for (i, v) in dst.iter_mut().enumerate() {
            *v = a.out[i] * ys[i % o] + ym[i % o];
          }
        }
      }
      r0 += n;
    }
    out
  }
}
