//! The numerical checks behind `gradCheck` and `cudaCompare`: finite-difference gradients of
//! every CPU kernel and model, the cuBLASLt layouts on the host, and CUDA against the CPU.
//! They ship in the release `.node` rather than under `#[cfg(test)]` because the GPU
//! machine has Node but no Rust toolchain: test/kernels.test.mjs and gpu-tests/ call them
//! through JS there.

mod cublaslt_layout;
pub mod cuda_compare;
pub mod gradcheck;

use crate::rng::Rng;

/// Normal(0, scale²) values.
fn randv(rng: &mut Rng, n: usize, scale: f32) -> Vec<f32> {
  (0..n).map(|_| rng.normal() * scale).collect()
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
