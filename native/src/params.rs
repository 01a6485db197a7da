//! Named parameter tensors, their gradients and AdamW state. One `Vec<f32>` per tensor keeps
//! borrows simple (`get_disjoint_mut` for a weight and its bias) and maps 1:1 to safetensors.

use crate::cpu::kernels::{adamw_step, AdamW};
use crate::rng::Rng;

#[derive(Clone)]
pub struct Tensors {
  pub names: Vec<String>,
  pub shapes: Vec<Vec<usize>>,
  pub data: Vec<Vec<f32>>,
  /// Whether AdamW's decoupled weight decay applies (matrices yes; biases, norms no).
  pub decay: Vec<bool>,
}

pub enum Init {
  Zeros,
  Ones,
  Normal(f32),
}

impl Tensors {
  pub fn new() -> Self {
    Tensors { names: vec![], shapes: vec![], data: vec![], decay: vec![] }
  }

  pub fn add(&mut self, name: impl Into<String>, shape: &[usize], init: Init, rng: &mut Rng) -> usize {
    let n: usize = shape.iter().product();
    let data = match init {
      Init::Zeros => vec![0f32; n],
      Init::Ones => vec![1f32; n],
      Init::Normal(s) => (0..n).map(|_| rng.normal() * s).collect(),
    };
    self.names.push(name.into());
    self.decay.push(shape.len() >= 2);
    self.shapes.push(shape.to_vec());
    self.data.push(data);
    self.data.len() - 1
  }

  pub fn zeros_like(&self) -> Vec<Vec<f32>> {
    self.data.iter().map(|d| vec![0f32; d.len()]).collect()
  }

  pub fn count(&self) -> usize {
    self.data.iter().map(|d| d.len()).sum()
  }
}

pub struct Optimizer {
  pub m: Vec<Vec<f32>>,
  pub v: Vec<Vec<f32>>,
  pub t: u64,
}

impl Optimizer {
  pub fn new(p: &Tensors) -> Self {
    Optimizer { m: p.zeros_like(), v: p.zeros_like(), t: 0 }
  }

  pub fn step(&mut self, p: &mut Tensors, g: &[Vec<f32>], o: &AdamW) {
    self.t += 1;
    for (i, (pd, gd)) in p.data.iter_mut().zip(g).enumerate() {
      adamw_step(pd, gd, &mut self.m[i], &mut self.v[i], o, self.t, p.decay[i]);
    }
  }
}

pub fn zero_grads(g: &mut [Vec<f32>]) {
  for t in g.iter_mut() {
    t.fill(0.0);
  }
}

/// Scales gradients so their global L2 norm is at most `max_norm`; returns the norm before.
pub fn clip_grad_norm(g: &mut [Vec<f32>], max_norm: f32) -> f32 {
  let sq: f64 = g.iter().flat_map(|t| t.iter()).map(|v| (*v as f64) * (*v as f64)).sum();
  let norm = sq.sqrt() as f32;
  if max_norm > 0.0 && norm > max_norm {
    let s = max_norm / (norm + 1e-6);
    for t in g.iter_mut() {
      for v in t.iter_mut() {
        *v *= s;
      }
    }
  }
  norm
}

pub fn all_finite(g: &[Vec<f32>]) -> bool {
  g.iter().all(|t| t.iter().all(|v| v.is_finite()))
}
