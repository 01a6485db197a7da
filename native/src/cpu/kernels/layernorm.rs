//! LayerNorm over the last dimension, forward and backward.

use super::PAR_MIN_ELEMS;
use rayon::prelude::*;

pub const LN_EPS: f32 = 1e-5;

/// One row's output and input.
type RowIo<'a> = (&'a mut [f32], &'a [f32]);

/// LayerNorm over the last dimension; saves mean and 1/std per row for the backward pass.
#[allow(clippy::too_many_arguments)]
pub fn layernorm_fwd(out: &mut [f32], mean: &mut [f32], rstd: &mut [f32], inp: &[f32], w: &[f32], b: &[f32], rows: usize, c: usize) {
  let row = |((o, x), (m, rs)): (RowIo, (&mut f32, &mut f32))| {
    let mu = x.iter().sum::<f32>() / c as f32;
    let var = x.iter().map(|v| (v - mu) * (v - mu)).sum::<f32>() / c as f32;
    let r = 1.0 / (var + LN_EPS).sqrt();
    for i in 0..c {
      o[i] = (x[i] - mu) * r * w[i] + b[i];
    }
    *m = mu;
    *rs = r;
  };
  if rows * c >= PAR_MIN_ELEMS {
    out[..rows * c].par_chunks_mut(c).zip(inp.par_chunks(c)).zip(mean.par_iter_mut().zip(rstd.par_iter_mut())).for_each(row);
  } else {
    out[..rows * c].chunks_mut(c).zip(inp.chunks(c)).zip(mean.iter_mut().zip(rstd.iter_mut())).for_each(row);
  }
}

#[allow(clippy::too_many_arguments)]
pub fn layernorm_bwd(
  dinp: &mut [f32],
  dw: &mut [f32],
  db: &mut [f32],
  dout: &[f32],
  inp: &[f32],
  w: &[f32],
  mean: &[f32],
  rstd: &[f32],
  rows: usize,
  c: usize,
) {
  dinp[..rows * c].par_chunks_mut(c).zip(inp.par_chunks(c)).zip(dout.par_chunks(c)).enumerate().for_each(|(r, ((dx, x), g))| {
    let (mu, rs) = (mean[r], rstd[r]);
    let mut dnorm_mean = 0f32;
    let mut dnorm_norm_mean = 0f32;
    for i in 0..c {
      let norm = (x[i] - mu) * rs;
      let dnorm = g[i] * w[i];
      dnorm_mean += dnorm;
      dnorm_norm_mean += dnorm * norm;
    }
    dnorm_mean /= c as f32;
    dnorm_norm_mean /= c as f32;
    for i in 0..c {
      let norm = (x[i] - mu) * rs;
      let dnorm = g[i] * w[i];
      dx[i] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * rs;
    }
  });
  // dw = Σ dout·norm, db = Σ dout: one pass over rows, reduced per block.
  let (pw, pb) = (0..rows)
    .into_par_iter()
    .fold(
      || (vec![0f32; c], vec![0f32; c]),
      |(mut pw, mut pb), r| {
        let x = &inp[r * c..(r + 1) * c];
        let g = &dout[r * c..(r + 1) * c];
        for i in 0..c {
          pw[i] += g[i] * (x[i] - mean[r]) * rstd[r];
          pb[i] += g[i];
        }
        (pw, pb)
      },
    )
    .reduce(
      || (vec![0f32; c], vec![0f32; c]),
      |(mut aw, mut ab), (bw, bb)| {
        for i in 0..c {
          aw[i] += bw[i];
          ab[i] += bb[i];
        }
        (aw, ab)
      },
    );
  for i in 0..c {
    dw[i] += pw[i];
    db[i] += pb[i];
  }
}
