//! The cuBLASLt layouts without a GPU (`gradCheck("cublaslt_layout")`): the CUDA path's
//! three matmul configs (cuda/ops.rs) run through a host emulation of cuBLASLt's
//! column-major semantics must equal the CPU matmul forward and backward.

use super::{randv, rel};
use crate::cpu::kernels as k;
use crate::cuda::ops::{lt_bwd_dinp, lt_bwd_dw, lt_fwd};
use crate::rng::Rng;
use cudarc::cublaslt::MatmulConfig;

/// Host emulation of cublasLtMatmul for f32: C = α·op(A)·op(B) + β·C (+ bias[i] per row i of
/// C), all column-major with the given leading dimensions.
fn lt_emulate(cfg: &MatmulConfig, a: &[f32], b: &[f32], c: &mut [f32], bias: Option<&[f32]>) {
  let (m, n, k) = (cfg.m as usize, cfg.n as usize, cfg.k as usize);
  let (lda, ldb, ldc) = (cfg.lda as usize, cfg.ldb as usize, cfg.ldc as usize);
  for j in 0..n {
    for i in 0..m {
      let mut acc = 0f64;
      for p in 0..k {
        let av = if cfg.transa { a[p + i * lda] } else { a[i + p * lda] };
        let bv = if cfg.transb { b[j + p * ldb] } else { b[p + j * ldb] };
        acc += av as f64 * bv as f64;
      }
      let prev = if cfg.beta != 0.0 { cfg.beta as f64 * c[i + j * ldc] as f64 } else { 0.0 };
      c[i + j * ldc] = (cfg.alpha as f64 * acc + prev + bias.map_or(0.0, |bb| bb[i] as f64)) as f32;
    }
  }
}

/// The three configs through `lt_emulate`, against the CPU kernels.
pub fn check_lt_layouts() -> f64 {
  let (rows, ic, oc) = (7, 5, 3);
  let mut rng = Rng::new(3);
  let (x, w, bias, dout) = (randv(&mut rng, rows * ic, 1.0), randv(&mut rng, oc * ic, 1.0), randv(&mut rng, oc, 1.0), randv(&mut rng, rows * oc, 1.0));
  let mut out = vec![0f32; rows * oc];
  k::matmul_fwd(&mut out, &x, &w, Some(&bias), rows, ic, oc);
  let (mut di, mut dw) = (vec![0.5f32; rows * ic], vec![0.25f32; oc * ic]);
  let (di0, dw0) = (di.clone(), dw.clone());
  k::matmul_bwd(Some(&mut di), &mut dw, None, &dout, &x, &w, rows, ic, oc);
  let mut e_out = vec![0f32; rows * oc];
  lt_emulate(&lt_fwd(rows, ic, oc), &w, &x, &mut e_out, Some(&bias));
  let (mut e_di, mut e_dw) = (di0, dw0);
  lt_emulate(&lt_bwd_dinp(rows, ic, oc), &w, &dout, &mut e_di, None);
  lt_emulate(&lt_bwd_dw(rows, ic, oc), &x, &dout, &mut e_dw, None);
  rel(&e_out, &out).max(rel(&e_di, &di)).max(rel(&e_dw, &dw))
}
