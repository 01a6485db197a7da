//! The fused AdamW step (decoupled weight decay).

use rayon::prelude::*;

#[derive(Clone, Copy, Debug)]
pub struct AdamW {
  pub lr: f32,
  pub beta1: f32,
  pub beta2: f32,
  pub eps: f32,
  pub weight_decay: f32,
}

/// One fused AdamW step over a contiguous parameter range; `t` is the 1-based step.
/// Weight decay is decoupled (Loshchilov & Hutter) and applied only where `decay`.
#[allow(clippy::too_many_arguments)]
pub fn adamw_step(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], o: &AdamW, t: u64, decay: bool) {
  let bc1 = 1.0 - o.beta1.powi(t as i32);
  let bc2 = 1.0 - o.beta2.powi(t as i32);
  let wd = if decay { o.weight_decay } else { 0.0 };
  p.par_chunks_mut(4096).zip(g.par_chunks(4096)).zip(m.par_chunks_mut(4096).zip(v.par_chunks_mut(4096))).for_each(|((p, g), (m, v))| {
    for i in 0..p.len() {
      m[i] = o.beta1 * m[i] + (1.0 - o.beta1) * g[i];
      v[i] = o.beta2 * v[i] + (1.0 - o.beta2) * g[i] * g[i];
      let mhat = m[i] / bc1;
      let vhat = v[i] / bc2;
      p[i] -= o.lr * (mhat / (vhat.sqrt() + o.eps) + wd * p[i]);
    }
  });
}
