//! CPU kernels. Row-major f32 throughout; linear weights are stored `[out, in]` (as in
//! PyTorch and llm.c) so that `out = inp · wᵀ`. Matrix products go to the `gemm` crate
//! (AVX-512/AVX2/FMA micro-kernels, packs its own panels); everything else is a plain loop
//! split over rows with rayon. Each `*_bwd` *accumulates* into its gradient outputs.

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
/// expressed through strides. Used by the benchmark and by the model kernels below.
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
    gemm(
      m,
      n,
      k,
      c.as_mut_ptr(),
      1,
      n as isize,
      accumulate,
      a.as_ptr(),
      a_cs,
      a_rs,
      b.as_ptr(),
      b_cs,
      b_rs,
      1.0,
      1.0,
      false,
      false,
      false,
      p,
    );
  }
}

/// out[rows, oc] = inp[rows, ic] · w[oc, ic]ᵀ + bias
pub fn matmul_fwd(out: &mut [f32], inp: &[f32], w: &[f32], bias: Option<&[f32]>, rows: usize, ic: usize, oc: usize) {
  if let Some(b) = bias {
    out[..rows * oc].par_chunks_mut(oc).for_each(|r| r.copy_from_slice(&b[..oc]));
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
  out[..rows * c].par_chunks_mut(c).zip(x.par_chunks(c)).for_each(|(o, xr)| {
    for i in 0..c {
      o[i] = gelu(xr[i] + b[i]);
    }
  });
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

pub const LN_EPS: f32 = 1e-5;

/// LayerNorm over the last dimension; saves mean and 1/std per row for the backward pass.
#[allow(clippy::too_many_arguments)]
pub fn layernorm_fwd(out: &mut [f32], mean: &mut [f32], rstd: &mut [f32], inp: &[f32], w: &[f32], b: &[f32], rows: usize, c: usize) {
  out[..rows * c]
    .par_chunks_mut(c)
    .zip(inp.par_chunks(c))
    .zip(mean.par_iter_mut().zip(rstd.par_iter_mut()))
    .for_each(|((o, x), (m, rs))| {
      let mu = x.iter().sum::<f32>() / c as f32;
      let var = x.iter().map(|v| (v - mu) * (v - mu)).sum::<f32>() / c as f32;
      let r = 1.0 / (var + LN_EPS).sqrt();
      for i in 0..c {
        o[i] = (x[i] - mu) * r * w[i] + b[i];
      }
      *m = mu;
      *rs = r;
    });
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
  dinp[..rows * c]
    .par_chunks_mut(c)
    .zip(inp.par_chunks(c))
    .zip(dout.par_chunks(c))
    .enumerate()
    .for_each(|(r, ((dx, x), g))| {
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

/// A pointer that may be shared across rayon tasks that write disjoint parts.
#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}
impl SyncPtr {
  #[inline]
  fn get(self) -> *mut f32 {
    self.0
  }
}

/// Single-threaded GEMM on raw strided operands: dst[m×n] (+)= lhs[m×k] · rhs[k×n], where
/// element (i, j) of X lives at X + i·X_rs + j·X_cs. For per-head attention blocks that are
/// strided views into qkv.
///
/// # Safety
/// All three views must be in bounds, and dst must not overlap lhs or rhs.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_view(m: usize, n: usize, k: usize, dst: *mut f32, dst_rs: usize, accumulate: bool, lhs: *const f32, lhs_rs: usize, lhs_cs: usize, rhs: *const f32, rhs_rs: usize, rhs_cs: usize) {
  gemm(
    m,
    n,
    k,
    dst,
    1,
    dst_rs as isize,
    accumulate,
    lhs,
    lhs_cs as isize,
    lhs_rs as isize,
    rhs,
    rhs_cs as isize,
    rhs_rs as isize,
    1.0,
    1.0,
    false,
    false,
    false,
    Parallelism::None,
  );
}

/// Causal multi-head self-attention. qkv is [B, T, 3C] (q | k | v, heads contiguous within
/// each); out is [B, T, C]; att holds the softmax probabilities [B, NH, T, T] for backward.
/// Parallel over (b, h); within a head, S = QKᵀ and O = PV are two small GEMMs on strided
/// views. It computes the masked upper triangle too: a dense GEMM's efficiency beats the 2×
/// it wastes. Forward, one thread, vs the loops in `attention_fwd_ref`: 1.8× faster at
/// [16, 64, 64, 4], 2.5× at [8, 128, 128, 4], 3.3× at [4, 512, 384, 6] (benchAttention).
#[allow(clippy::too_many_arguments)]
pub fn attention_fwd(out: &mut [f32], att: &mut [f32], qkv: &[f32], b: usize, t: usize, c: usize, nh: usize) {
  let hs = c / nh;
  let scale = 1.0 / (hs as f32).sqrt();
  assert!(out.len() >= b * t * c && att.len() >= b * nh * t * t && qkv.len() >= b * t * 3 * c);
  let op = SyncPtr(out.as_mut_ptr());
  let ap = SyncPtr(att.as_mut_ptr());
  (0..b * nh).into_par_iter().for_each(|bh| {
    let (bi, h) = (bh / nh, bh % nh);
    let q = qkv[bi * t * 3 * c + h * hs..].as_ptr();
    // SAFETY: (bi, h) owns att block bh and head h's columns of out for batch bi; views
    // stay inside qkv / att / out (asserted above).
    unsafe {
      let k = q.add(c);
      let v = q.add(2 * c);
      let a = ap.get().add(bh * t * t);
      gemm_view(t, t, hs, a, t, false, q, 3 * c, 1, k, 1, 3 * c);
      let ablk = std::slice::from_raw_parts_mut(a, t * t);
      for ti in 0..t {
        let row = &mut ablk[ti * t..(ti + 1) * t];
        let mut maxv = f32::NEG_INFINITY;
        for x in row.iter_mut().take(ti + 1) {
          *x *= scale;
          maxv = maxv.max(*x);
        }
        let mut sum = 0f32;
        for x in row.iter_mut().take(ti + 1) {
          *x = (*x - maxv).exp();
          sum += *x;
        }
        let inv = 1.0 / sum;
        for (t2, x) in row.iter_mut().enumerate() {
          *x = if t2 <= ti { *x * inv } else { 0.0 };
        }
      }
      let o = op.get().add(bi * t * c + h * hs);
      gemm_view(t, hs, t, o, c, false, a, t, 1, v, 3 * c, 1);
    }
  });
}

/// Backward of `attention_fwd`; accumulates into dqkv [B, T, 3C].
#[allow(clippy::too_many_arguments)]
pub fn attention_bwd(dqkv: &mut [f32], dout: &[f32], qkv: &[f32], att: &[f32], b: usize, t: usize, c: usize, nh: usize) {
  let hs = c / nh;
  let scale = 1.0 / (hs as f32).sqrt();
  assert!(dqkv.len() >= b * t * 3 * c && dout.len() >= b * t * c && att.len() >= b * nh * t * t);
  let dp = SyncPtr(dqkv.as_mut_ptr());
  (0..b * nh).into_par_iter().for_each(|bh| {
    let (bi, h) = (bh / nh, bh % nh);
    let mut ds = vec![0f32; t * t];
    let q = qkv[bi * t * 3 * c + h * hs..].as_ptr();
    let p = &att[bh * t * t..(bh + 1) * t * t];
    let g = dout[bi * t * c + h * hs..].as_ptr();
    // SAFETY: this task writes only head h's q/k/v columns of batch bi in dqkv.
    unsafe {
      let (k, v) = (q.add(c), q.add(2 * c));
      let dq = dp.get().add(bi * t * 3 * c + h * hs);
      let (dk, dv) = (dq.add(c), dq.add(2 * c));
      // dP = dO · Vᵀ
      gemm_view(t, t, hs, ds.as_mut_ptr(), t, false, g, c, 1, v, 1, 3 * c);
      // dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale   (zero above the diagonal since P is)
      for ti in 0..t {
        let (pr, dr) = (&p[ti * t..(ti + 1) * t], &mut ds[ti * t..(ti + 1) * t]);
        let dot: f32 = pr.iter().zip(dr.iter()).take(ti + 1).map(|(a, b)| a * b).sum();
        for t2 in 0..t {
          dr[t2] = if t2 <= ti { pr[t2] * (dr[t2] - dot) * scale } else { 0.0 };
        }
      }
      // dV += Pᵀ · dO ; dQ += dS · K ; dK += dSᵀ · Q
      gemm_view(t, hs, t, dv, 3 * c, true, p.as_ptr(), 1, t, g, c, 1);
      gemm_view(t, hs, t, dq, 3 * c, true, ds.as_ptr(), t, 1, k, 3 * c, 1);
      gemm_view(t, hs, t, dk, 3 * c, true, ds.as_ptr(), 1, t, q, 3 * c, 1);
    }
  });
}

/// Reference attention forward: plain dot-product loops, sequential (what `attention_fwd`
/// replaced). Kept to cross-check the GEMM version and as the baseline of `benchAttention`.
pub fn attention_fwd_ref(out: &mut [f32], att: &mut [f32], qkv: &[f32], b: usize, t: usize, c: usize, nh: usize) {
  let hs = c / nh;
  let scale = 1.0 / (hs as f32).sqrt();
  for bi in 0..b {
    for h in 0..nh {
      for ti in 0..t {
        let q = &qkv[(bi * t + ti) * 3 * c + h * hs..][..hs];
        let arow = &mut att[((bi * nh + h) * t + ti) * t..][..t];
        let mut maxv = f32::NEG_INFINITY;
        for t2 in 0..=ti {
          let k = &qkv[(bi * t + t2) * 3 * c + c + h * hs..][..hs];
          arow[t2] = q.iter().zip(k).map(|(x, y)| x * y).sum::<f32>() * scale;
          maxv = maxv.max(arow[t2]);
        }
        let mut sum = 0f32;
        for x in arow.iter_mut().take(ti + 1) {
          *x = (*x - maxv).exp();
          sum += *x;
        }
        for (t2, x) in arow.iter_mut().enumerate() {
          *x = if t2 <= ti { *x / sum } else { 0.0 };
        }
        let o = &mut out[(bi * t + ti) * c + h * hs..][..hs];
        o.fill(0.0);
        for t2 in 0..=ti {
          let v = &qkv[(bi * t + t2) * 3 * c + 2 * c + h * hs..][..hs];
          for i in 0..hs {
            o[i] += arow[t2] * v[i];
          }
        }
      }
    }
  }
}

/// Fused softmax + cross-entropy over rows of `logits` [N, V] (only the first `vocab`
/// columns are real; the rest is padding). Writes probs and per-row losses.
pub fn softmax_ce_fwd(losses: &mut [f32], probs: &mut [f32], logits: &[f32], targets: &[u32], n: usize, v: usize) {
  probs[..n * v]
    .par_chunks_mut(v)
    .zip(logits.par_chunks(v))
    .zip(losses.par_iter_mut())
    .enumerate()
    .for_each(|(r, ((p, l), loss))| {
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

/// out[b, t] = wte[token] + wpe[t]
pub fn embedding_fwd(out: &mut [f32], tokens: &[u32], wte: &[f32], wpe: &[f32], b: usize, t: usize, c: usize) {
  out[..b * t * c].par_chunks_mut(c).enumerate().for_each(|(r, o)| {
    let (tok, pos) = (tokens[r] as usize, r % t);
    let e = &wte[tok * c..(tok + 1) * c];
    let p = &wpe[pos * c..(pos + 1) * c];
    for i in 0..c {
      o[i] = e[i] + p[i];
    }
  });
  let _ = b;
}

/// Scatter-add; sequential because many rows hit the same token (it is ~0.1% of a step).
#[allow(clippy::too_many_arguments)]
pub fn embedding_bwd(dwte: &mut [f32], dwpe: &mut [f32], dout: &[f32], tokens: &[u32], b: usize, t: usize, c: usize) {
  for r in 0..b * t {
    let (tok, pos) = (tokens[r] as usize, r % t);
    let g = &dout[r * c..(r + 1) * c];
    for i in 0..c {
      dwte[tok * c + i] += g[i];
      dwpe[pos * c + i] += g[i];
    }
  }
}

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
  p.par_chunks_mut(4096)
    .zip(g.par_chunks(4096))
    .zip(m.par_chunks_mut(4096).zip(v.par_chunks_mut(4096)))
    .for_each(|((p, g), (m, v))| {
      for i in 0..p.len() {
        m[i] = o.beta1 * m[i] + (1.0 - o.beta1) * g[i];
        v[i] = o.beta2 * v[i] + (1.0 - o.beta2) * g[i] * g[i];
        let mhat = m[i] / bc1;
        let vhat = v[i] / bc2;
        p[i] -= o.lr * (mhat / (vhat.sqrt() + o.eps) + wd * p[i]);
      }
    });
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
  pub fn name(self) -> &'static str {
    match self {
      Activation::Relu => "relu",
      Activation::Gelu => "gelu",
      Activation::Tanh => "tanh",
    }
  }
}

/// out = act(x + b); x kept for backward.
pub fn bias_act_fwd(out: &mut [f32], x: &[f32], b: &[f32], rows: usize, c: usize, act: Activation) {
  if act == Activation::Gelu {
    return bias_gelu_fwd(out, x, b, rows, c);
  }
  out[..rows * c].par_chunks_mut(c).zip(x.par_chunks(c)).for_each(|(o, xr)| {
    for i in 0..c {
      let z = xr[i] + b[i];
      o[i] = match act {
        Activation::Relu => z.max(0.0),
        Activation::Tanh => z.tanh(),
        Activation::Gelu => unreachable!(),
      };
    }
  });
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
pub fn dropout_fwd(x: &mut [f32], mask: &mut [f32], p: f32, rng: &mut crate::rng::Rng) {
  let keep = 1.0 / (1.0 - p);
  for (xi, mi) in x.iter_mut().zip(mask.iter_mut()) {
    *mi = if rng.uniform() < p { 0.0 } else { keep };
    *xi *= *mi;
  }
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
