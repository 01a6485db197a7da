//! Row-parallel pointwise kernels: fused bias + activation (GELU, ReLU, tanh) and dropout.

use super::gemm::col_sum_acc;
use super::PAR_MIN_ELEMS;
use crate::rng::Rng;
use rayon::prelude::*;

const GELU_S: f32 = 0.797_884_6; // sqrt(2/pi)

#[inline]
pub fn gelu(x: f32) -> f32 {
  0.5 * x * (1.0 + (GELU_S * (x + 0.044715 * x * x * x)).tanh())
}

#[inline]
pub fn gelu_grad(x: f32) -> f32 {
  let u = GELU_S * (x + 0.044715 * x * x * x);
  let th = u.tanh();
  0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * GELU_S * (1.0 + 3.0 * 0.044715 * x * x)
}

/// Fused bias + GELU (tanh form): out = gelu(x + b). `x` is kept for the backward pass.
pub fn bias_gelu_fwd(out: &mut [f32], x: &[f32], b: &[f32], rows: usize, c: usize) {
  let row = |(o, xr): (&mut [f32], &[f32])| {
    for i in 0..c {
      o[i] = gelu(xr[i] + b[i]);
    }
  };
  if rows * c >= PAR_MIN_ELEMS {
    out[..rows * c].par_chunks_mut(c).zip(x.par_chunks(c)).for_each(row);
  } else {
    out[..rows * c].chunks_mut(c).zip(x.chunks(c)).for_each(row);
  }
}

/// dx += dout·gelu'(x+b); db += Σrows dout·gelu'(x+b). `scratch` is rows×c.
pub fn bias_gelu_bwd(dx: &mut [f32], db: &mut [f32], dout: &[f32], x: &[f32], b: &[f32], rows: usize, c: usize) {
  let mut dpre = vec![0f32; rows * c];
  dpre.par_chunks_mut(c).zip(x.par_chunks(c)).zip(dout.par_chunks(c)).for_each(|((d, xr), g)| {
    for i in 0..c {
      d[i] = g[i] * gelu_grad(xr[i] + b[i]);
    }
  });
  dx[..rows * c].par_iter_mut().zip(dpre.par_iter()).for_each(|(a, v)| *a += v);
  col_sum_acc(db, &dpre, rows, c);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
  Relu,
  Gelu,
  Tanh,
}

impl Activation {
  pub fn parse(s: &str) -> Option<Self> {
    match s {
      "relu" => Some(Activation::Relu),
      "gelu" => Some(Activation::Gelu),
      "tanh" => Some(Activation::Tanh),
      _ => None,
    }
  }
}

/// out = act(x + b); x kept for backward.
pub fn bias_act_fwd(out: &mut [f32], x: &[f32], b: &[f32], rows: usize, c: usize, act: Activation) {
  if act == Activation::Gelu {
    return bias_gelu_fwd(out, x, b, rows, c);
  }
  let row = |(o, xr): (&mut [f32], &[f32])| {
    for i in 0..c {
      let z = xr[i] + b[i];
      o[i] = match act {
        Activation::Relu => z.max(0.0),
        Activation::Tanh => z.tanh(),
        Activation::Gelu => unreachable!(),
      };
    }
  };
  if rows * c >= PAR_MIN_ELEMS {
    out[..rows * c].par_chunks_mut(c).zip(x.par_chunks(c)).for_each(row);
  } else {
    out[..rows * c].chunks_mut(c).zip(x.chunks(c)).for_each(row);
  }
}

#[allow(clippy::too_many_arguments)]
pub fn bias_act_bwd(dx: &mut [f32], db: &mut [f32], dout: &[f32], x: &[f32], b: &[f32], rows: usize, c: usize, act: Activation) {
  if act == Activation::Gelu {
    return bias_gelu_bwd(dx, db, dout, x, b, rows, c);
  }
  let mut dpre = vec![0f32; rows * c];
  dpre.par_chunks_mut(c).zip(x.par_chunks(c)).zip(dout.par_chunks(c)).for_each(|((d, xr), g)| {
    for i in 0..c {
      let z = xr[i] + b[i];
      let dz = match act {
        Activation::Relu => {
          if z > 0.0 {
            1.0
          } else {
            0.0
          }
        }
        Activation::Tanh => {
          let th = z.tanh();
          1.0 - th * th
        }
        Activation::Gelu => unreachable!(),
      };
      d[i] = g[i] * dz;
    }
  });
  dx[..rows * c].par_iter_mut().zip(dpre.par_iter()).for_each(|(a, v)| *a += v);
  col_sum_acc(db, &dpre, rows, c);
}

/// Inverted dropout: mask holds 0 or 1/(1−p); out = x·mask (in place).
pub fn dropout_fwd(x: &mut [f32], mask: &mut [f32], p: f32, rng: &mut Rng) {
  let keep = 1.0 / (1.0 - p);
  for (xi, mi) in x.iter_mut().zip(mask.iter_mut()) {
    *mi = if rng.uniform() < p { 0.0 } else { keep };
    *xi *= *mi;
  }
}
