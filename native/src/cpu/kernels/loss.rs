//! Losses: fused softmax + cross-entropy, and mean squared error.

use rayon::prelude::*;

/// Fused softmax + cross-entropy over rows of `logits` [N, V] (only the first `vocab`
/// columns are real; the rest is padding). Writes probs and per-row losses.
pub fn softmax_ce_fwd(losses: &mut [f32], probs: &mut [f32], logits: &[f32], targets: &[u32], n: usize, v: usize) {
  probs[..n * v].par_chunks_mut(v).zip(logits.par_chunks(v)).zip(losses.par_iter_mut()).enumerate().for_each(|(r, ((p, l), loss))| {
    let maxv = l.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for i in 0..v {
      p[i] = (l[i] - maxv).exp();
      sum += p[i];
    }
    let inv = 1.0 / sum;
    for x in p.iter_mut() {
      *x *= inv;
    }
    *loss = -(p[targets[r] as usize].max(1e-30)).ln();
  });
}

/// dlogits += (probs − onehot(target)) · dloss[r]
pub fn softmax_ce_bwd(dlogits: &mut [f32], probs: &[f32], targets: &[u32], dloss: &[f32], n: usize, v: usize) {
  dlogits[..n * v].par_chunks_mut(v).zip(probs.par_chunks(v)).enumerate().for_each(|(r, (d, p))| {
    let g = dloss[r];
    for i in 0..v {
      d[i] += p[i] * g;
    }
    d[targets[r] as usize] -= g;
  });
}

/// Mean squared error over all entries; writes dpred (not accumulated) and returns the loss.
pub fn mse(dpred: &mut [f32], pred: &[f32], target: &[f32]) -> f32 {
  let n = pred.len() as f32;
  let mut loss = 0f64;
  for i in 0..pred.len() {
    let d = pred[i] - target[i];
    loss += (d * d) as f64;
    dpred[i] = 2.0 * d / n;
  }
  (loss / n as f64) as f32
}
