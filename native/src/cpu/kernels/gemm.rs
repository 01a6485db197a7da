//! Matrix products through the `gemm` crate, and the bias gradient's column sum.

use super::PAR_MIN_ELEMS;
use gemm::{gemm, Parallelism};
use rayon::prelude::*;

/// Below this many multiply-adds a product runs on one thread: splitting a 64×64×64 block
/// over rayon costs more in wake-ups (~5 µs) than the work itself.
const PAR_MIN_FLOPS: usize = 1 << 18;

fn par(m: usize, n: usize, k: usize) -> Parallelism {
  let threads = rayon::current_num_threads();
  if threads <= 1 || m * n * k < PAR_MIN_FLOPS {
    Parallelism::None
  } else {
    Parallelism::Rayon(threads)
  }
}

/// Raw GEMM on row-major operands: `c[m×n] (+)= a[m×k] · b[k×n]`, with optional transposes
/// expressed through strides. Used by the benchmark and by `matmul_fwd` / `matmul_bwd`.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
  m: usize,
  n: usize,
  k: usize,
  a: &[f32],
  trans_a: bool,
  b: &[f32],
  trans_b: bool,
  c: &mut [f32],
  accumulate: bool,
  parallelism: Option<Parallelism>,
) {
  assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "sgemm: buffer too small");
  // (cs, rs) = (step along a column index, step along a row index)
  let (a_cs, a_rs) = if trans_a { (m as isize, 1) } else { (1, k as isize) };
  let (b_cs, b_rs) = if trans_b { (k as isize, 1) } else { (1, n as isize) };
  let p = parallelism.unwrap_or_else(|| par(m, n, k));
  unsafe {
    gemm(m, n, k, c.as_mut_ptr(), 1, n as isize, accumulate, a.as_ptr(), a_cs, a_rs, b.as_ptr(), b_cs, b_rs, 1.0, 1.0, false, false, false, p);
  }
}

/// out[rows, oc] = inp[rows, ic] · w[oc, ic]ᵀ + bias
pub fn matmul_fwd(out: &mut [f32], inp: &[f32], w: &[f32], bias: Option<&[f32]>, rows: usize, ic: usize, oc: usize) {
  if let Some(b) = bias {
    if rows * oc >= PAR_MIN_ELEMS {
      out[..rows * oc].par_chunks_mut(oc).for_each(|r| r.copy_from_slice(&b[..oc]));
    } else {
      out[..rows * oc].chunks_mut(oc).for_each(|r| r.copy_from_slice(&b[..oc]));
    }
  }
  sgemm(rows, oc, ic, inp, false, w, true, out, bias.is_some(), None);
}

/// Backward of `matmul_fwd`: dinp += dout·w, dw += doutᵀ·inp, dbias += Σrows dout.
#[allow(clippy::too_many_arguments)]
pub fn matmul_bwd(
  dinp: Option<&mut [f32]>,
  dw: &mut [f32],
  dbias: Option<&mut [f32]>,
  dout: &[f32],
  inp: &[f32],
  w: &[f32],
  rows: usize,
  ic: usize,
  oc: usize,
) {
  if let Some(dinp) = dinp {
    sgemm(rows, ic, oc, dout, false, w, false, dinp, true, None);
  }
  sgemm(oc, ic, rows, dout, true, inp, false, dw, true, None);
  if let Some(db) = dbias {
    col_sum_acc(db, dout, rows, oc);
  }
}

/// acc[c] += Σ_r x[r, c], reduced in parallel over row blocks.
pub fn col_sum_acc(acc: &mut [f32], x: &[f32], rows: usize, cols: usize) {
  let block = rows.div_ceil(rayon::current_num_threads().max(1) * 4).max(64);
  let partial = x[..rows * cols]
    .par_chunks(block * cols)
    .map(|chunk| {
      let mut s = vec![0f32; cols];
      for r in chunk.chunks(cols) {
        for (a, v) in s.iter_mut().zip(r) {
          *a += v;
        }
      }
      s
    })
    .reduce(
      || vec![0f32; cols],
      |mut a, b| {
        for (x, y) in a.iter_mut().zip(&b) {
          *x += y;
        }
        a
      },
    );
  for (a, p) in acc.iter_mut().zip(&partial) {
    *a += p;
  }
}
