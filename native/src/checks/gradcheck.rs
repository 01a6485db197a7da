//! Finite-difference gradient checks of every CPU kernel. Each check builds random inputs,
//! defines L = Σ out·R for a fixed random R, and compares the analytic gradient from the
//! kernel's backward with central differences (ε = 1e-2 in f32, L summed in f64).
//! Error metric: max|analytic − numeric| / max|analytic| over the sampled coordinates.

use super::randv;
use crate::cpu::kernels as k;
use crate::error::{invalid, Res};
use crate::rng::Rng;

pub const KERNELS: &[&str] = &[
  "matmul",
  "bias_gelu",
  "bias_tanh",
  "layernorm",
  "attention",
  "softmax_ce",
  "embedding",
  "mse",
  "attention_ref",
  "kv_cache",
  "cublaslt_layout",
  "glm_model",
  "mlp_model",
];

pub struct Report {
  pub kernel: String,
  pub max_rel_err: f64,
  pub checked: u32,
}

type Fwd<'a> = dyn Fn(&[Vec<f32>]) -> Vec<f32> + 'a;
type Bwd<'a> = dyn Fn(&[Vec<f32>], &[f32]) -> Vec<Vec<f32>> + 'a;

fn check(name: &str, inputs: Vec<Vec<f32>>, fwd: &Fwd, bwd: &Bwd, rng: &mut Rng) -> Report {
  let out = fwd(&inputs);
  let r = randv(rng, out.len(), 1.0);
  let loss = |inp: &[Vec<f32>]| -> f64 { fwd(inp).iter().zip(&r).map(|(a, b)| (*a as f64) * (*b as f64)).sum() };
  let grads = bwd(&inputs, &r);
  let eps = 1e-2f32;
  let mut max_err = 0f64;
  let mut max_abs = 1e-6f64;
  let mut checked = 0u32;
  let mut work = inputs.clone();
  for (ti, g) in grads.iter().enumerate() {
    let n = work[ti].len();
    let picks: Vec<usize> = if n <= 24 { (0..n).collect() } else { (0..24).map(|_| rng.below(n)).collect() };
    for &i in &picks {
      let orig = work[ti][i];
      work[ti][i] = orig + eps;
      let lp = loss(&work);
      work[ti][i] = orig - eps;
      let lm = loss(&work);
      work[ti][i] = orig;
      let num = (lp - lm) / (2.0 * eps as f64);
      max_err = max_err.max((num - g[i] as f64).abs());
      max_abs = max_abs.max((g[i] as f64).abs());
      checked += 1;
    }
  }
  Report { kernel: name.to_string(), max_rel_err: max_err / max_abs, checked }
}

/// Runs the check named `kernel` (one of `KERNELS`); `seed` picks the random inputs.
pub fn run(kernel: &str, seed: u64) -> Res<Report> {
  let mut rng = Rng::new(seed);
  // rng2 (a copy of the same stream) draws the inputs; rng the projection R and the
  // coordinates `check` samples.
  let rng2 = &mut rng.clone();
  match kernel {
    "matmul" => Ok(matmul(kernel, &mut rng, rng2)),
    "bias_gelu" | "bias_tanh" => Ok(bias_act(kernel, &mut rng, rng2)),
    "layernorm" => Ok(layernorm(kernel, &mut rng, rng2)),
    "attention" => Ok(attention(kernel, &mut rng, rng2)),
    "softmax_ce" => Ok(softmax_ce(kernel, &mut rng, rng2)),
    "embedding" => Ok(embedding(kernel, &mut rng, rng2)),
    "mse" => Ok(mse(kernel, &mut rng, rng2)),
    "attention_ref" => Ok(attention_ref(kernel, rng2)),
    "kv_cache" => kv_cache(kernel, rng2),
    // Not a gradient check: the CUDA path's cuBLASLt configs run through a host emulation
    // of cuBLASLt's column-major semantics must equal the CPU matmul forward and backward.
    "cublaslt_layout" => Ok(Report { kernel: kernel.into(), max_rel_err: super::cublaslt_layout::check_lt_layouts(), checked: 3 }),
    "glm_model" => model_check_glm(&mut rng),
    "mlp_model" => model_check_mlp(&mut rng),
    other => invalid(format!("unknown kernel '{other}'; known: {}", KERNELS.join(", "))),
  }
}

/// Linear layer: input, weight and bias gradients.
fn matmul(kernel: &str, rng: &mut Rng, rng2: &mut Rng) -> Report {
  let (rows, ic, oc) = (5, 7, 6);
  let inputs = vec![randv(rng2, rows * ic, 1.0), randv(rng2, oc * ic, 0.5), randv(rng2, oc, 0.5)];
  check(
    kernel,
    inputs,
    &|x| {
      let mut out = vec![0f32; rows * oc];
      k::matmul_fwd(&mut out, &x[0], &x[1], Some(&x[2]), rows, ic, oc);
      out
    },
    &|x, dout| {
      let (mut di, mut dw, mut db) = (vec![0f32; rows * ic], vec![0f32; oc * ic], vec![0f32; oc]);
      k::matmul_bwd(Some(&mut di), &mut dw, Some(&mut db), dout, &x[0], &x[1], rows, ic, oc);
      vec![di, dw, db]
    },
    rng,
  )
}

/// Fused bias + activation (GELU or tanh, by `kernel`).
fn bias_act(kernel: &str, rng: &mut Rng, rng2: &mut Rng) -> Report {
  let act = if kernel == "bias_gelu" { k::Activation::Gelu } else { k::Activation::Tanh };
  let (rows, c) = (6, 9);
  let inputs = vec![randv(rng2, rows * c, 1.5), randv(rng2, c, 0.5)];
  check(
    kernel,
    inputs,
    &|x| {
      let mut out = vec![0f32; rows * c];
      k::bias_act_fwd(&mut out, &x[0], &x[1], rows, c, act);
      out
    },
    &|x, dout| {
      let (mut dx, mut db) = (vec![0f32; rows * c], vec![0f32; c]);
      k::bias_act_bwd(&mut dx, &mut db, dout, &x[0], &x[1], rows, c, act);
      vec![dx, db]
    },
    rng,
  )
}

/// LayerNorm: input, weight and bias gradients.
fn layernorm(kernel: &str, rng: &mut Rng, rng2: &mut Rng) -> Report {
  let (rows, c) = (4, 16);
  let inputs = vec![randv(rng2, rows * c, 1.0), randv(rng2, c, 1.0), randv(rng2, c, 0.5)];
  check(
    kernel,
    inputs,
    &|x| {
      let (mut out, mut m, mut s) = (vec![0f32; rows * c], vec![0f32; rows], vec![0f32; rows]);
      k::layernorm_fwd(&mut out, &mut m, &mut s, &x[0], &x[1], &x[2], rows, c);
      out
    },
    &|x, dout| {
      let (mut out, mut m, mut s) = (vec![0f32; rows * c], vec![0f32; rows], vec![0f32; rows]);
      k::layernorm_fwd(&mut out, &mut m, &mut s, &x[0], &x[1], &x[2], rows, c);
      let (mut dx, mut dw, mut db) = (vec![0f32; rows * c], vec![0f32; c], vec![0f32; c]);
      k::layernorm_bwd(&mut dx, &mut dw, &mut db, dout, &x[0], &x[1], &m, &s, rows, c);
      vec![dx, dw, db]
    },
    rng,
  )
}

/// Causal attention: the gradient of qkv.
fn attention(kernel: &str, rng: &mut Rng, rng2: &mut Rng) -> Report {
  let (b, t, c, nh) = (2, 5, 8, 2);
  let inputs = vec![randv(rng2, b * t * 3 * c, 1.0)];
  check(
    kernel,
    inputs,
    &|x| {
      let (mut out, mut att) = (vec![0f32; b * t * c], vec![0f32; b * nh * t * t]);
      k::attention_fwd(&mut out, &mut att, &x[0], b, t, c, nh);
      out
    },
    &|x, dout| {
      let (mut out, mut att) = (vec![0f32; b * t * c], vec![0f32; b * nh * t * t]);
      k::attention_fwd(&mut out, &mut att, &x[0], b, t, c, nh);
      let mut dqkv = vec![0f32; b * t * 3 * c];
      k::attention_bwd(&mut dqkv, dout, &x[0], &att, b, t, c, nh);
      vec![dqkv]
    },
    rng,
  )
}

/// Fused softmax + cross-entropy: the gradient of the logits.
fn softmax_ce(kernel: &str, rng: &mut Rng, rng2: &mut Rng) -> Report {
  let (n, v) = (6, 11);
  let targets: Vec<u32> = (0..n).map(|_| rng2.below(v) as u32).collect();
  let inputs = vec![randv(rng2, n * v, 2.0)];
  check(
    kernel,
    inputs,
    &|x| {
      let (mut losses, mut probs) = (vec![0f32; n], vec![0f32; n * v]);
      k::softmax_ce_fwd(&mut losses, &mut probs, &x[0], &targets, n, v);
      losses
    },
    &|x, dloss| {
      let (mut losses, mut probs) = (vec![0f32; n], vec![0f32; n * v]);
      k::softmax_ce_fwd(&mut losses, &mut probs, &x[0], &targets, n, v);
      let mut dl = vec![0f32; n * v];
      k::softmax_ce_bwd(&mut dl, &probs, &targets, dloss, n, v);
      vec![dl]
    },
    rng,
  )
}

/// Token + position embedding: both tables' gradients.
fn embedding(kernel: &str, rng: &mut Rng, rng2: &mut Rng) -> Report {
  let (b, t, c, vocab) = (2, 4, 5, 7);
  let tokens: Vec<u32> = (0..b * t).map(|_| rng2.below(vocab) as u32).collect();
  let inputs = vec![randv(rng2, vocab * c, 1.0), randv(rng2, t * c, 1.0)];
  check(
    kernel,
    inputs,
    &|x| {
      let mut out = vec![0f32; b * t * c];
      k::embedding_fwd(&mut out, &tokens, &x[0], &x[1], b, t, c);
      out
    },
    &|_x, dout| {
      let (mut dwte, mut dwpe) = (vec![0f32; vocab * c], vec![0f32; t * c]);
      k::embedding_bwd(&mut dwte, &mut dwpe, dout, &tokens, b, t, c);
      vec![dwte, dwpe]
    },
    rng,
  )
}

/// Mean squared error: the gradient of the prediction.
fn mse(kernel: &str, rng: &mut Rng, rng2: &mut Rng) -> Report {
  let n = 12;
  let target = randv(rng2, n, 1.0);
  let inputs = vec![randv(rng2, n, 1.0)];
  // L = mse(pred) directly (scalar output, R = [r0]).
  check(
    kernel,
    inputs,
    &|x| {
      let mut d = vec![0f32; n];
      vec![k::mse(&mut d, &x[0], &target)]
    },
    &|x, dout| {
      let mut d = vec![0f32; n];
      k::mse(&mut d, &x[0], &target);
      vec![d.iter().map(|g| g * dout[0]).collect()]
    },
    rng,
  )
}

/// The GEMM attention against the reference loops (not a gradient check).
fn attention_ref(kernel: &str, rng2: &mut Rng) -> Report {
  // Not a gradient check: the GEMM attention against the reference loops, at a size
  // where the strided views matter (T not a multiple of the SIMD width).
  let (b, t, c, nh) = (2, 37, 48, 3);
  let qkv = randv(rng2, b * t * 3 * c, 1.0);
  let (mut o1, mut a1) = (vec![0f32; b * t * c], vec![0f32; b * nh * t * t]);
  let (mut o2, mut a2) = (o1.clone(), a1.clone());
  k::attention_fwd(&mut o1, &mut a1, &qkv, b, t, c, nh);
  k::attention_fwd_ref(&mut o2, &mut a2, &qkv, b, t, c, nh);
  let rel = |x: &[f32], y: &[f32]| {
    let s = y.iter().fold(1e-6f64, |m, v| m.max(v.abs() as f64));
    x.iter().zip(y).fold(0f64, |m, (p, q)| m.max((*p as f64 - *q as f64).abs())) / s
  };
  Report { kernel: kernel.into(), max_rel_err: rel(&o1, &o2).max(rel(&a1, &a2)), checked: (o1.len() + a1.len()) as u32 }
}

/// KV-cache sampling against full recomputation (not a gradient check).
fn kv_cache(kernel: &str, rng2: &mut Rng) -> Res<Report> {
  // KV-cache sampling against full recomputation: greedy outputs must be identical
  // within the window (the "error" is the fraction of differing bytes).
  use crate::glm::{Glm, GlmConfig, Sampling};
  let mut g = Glm::new(GlmConfig { layers: 2, heads: 2, width: 16, context: 24, dropout: 0.0 }, 5)?;
  for t in g.p.data.iter_mut() {
    for v in t.iter_mut() {
      *v += rng2.normal() * 0.3;
    }
  }
  let prompt = b"to be or";
  let greedy = Sampling { temperature: 0.0, top_k: 0, top_p: 1.0 };
  let topk = Sampling { temperature: 0.9, top_k: 5, top_p: 1.0 };
  let nucleus = Sampling { temperature: 0.9, top_k: 0, top_p: 0.8 };
  let mut diff = 0;
  for (s, seed) in [(greedy, 1), (topk, 3), (nucleus, 4)] {
    let a = g.generate(prompt, 16, s, seed)?;
    let b = g.generate_recompute(prompt, 16, s, seed);
    diff += a.iter().zip(&b).filter(|(x, y)| x != y).count();
  }
  Ok(Report { kernel: kernel.into(), max_rel_err: diff as f64 / 48.0, checked: 48 })
}

/// Whole-model check: catches wiring mistakes (a wrong residual, a swapped buffer) that the
/// per-kernel checks cannot see. Loss = mean cross-entropy of a 2-layer, width-8 glm.
#[allow(clippy::needless_range_loop)]
fn model_check_glm(rng: &mut Rng) -> Res<Report> {
  use crate::glm::{Acts, Glm, GlmConfig};
  let cfg = GlmConfig { layers: 2, heads: 2, width: 8, context: 4, dropout: 0.0 };
  let mut g = Glm::new(cfg.clone(), 7)?;
  // Larger-than-init weights so every path carries signal worth checking.
  for t in g.p.data.iter_mut() {
    for v in t.iter_mut() {
      *v += rng.normal() * 0.1;
    }
  }
  let (b, t) = (2, 4);
  let tokens: Vec<u32> = (0..b * t).map(|_| rng.below(256) as u32).collect();
  let targets: Vec<u32> = (0..b * t).map(|_| rng.below(256) as u32).collect();
  let mut acts = Acts::new(&cfg, b, t, true);
  g.forward(&mut acts, &tokens, Some(&targets), None);
  let mut grads = g.p.zeros_like();
  g.backward(&mut acts, &mut grads, &tokens, &targets);
  let eps = 1e-2f32;
  let (mut max_err, mut max_abs, mut checked) = (0f64, 1e-6f64, 0u32);
  for ti in 0..g.p.data.len() {
    for _ in 0..3 {
      let i = if ti == 0 { tokens[rng.below(tokens.len())] as usize * cfg.width + rng.below(cfg.width) } else { rng.below(g.p.data[ti].len()) };
      let orig = g.p.data[ti][i];
      g.p.data[ti][i] = orig + eps;
      let lp = g.forward(&mut acts, &tokens, Some(&targets), None).unwrap_or(f32::NAN) as f64;
      g.p.data[ti][i] = orig - eps;
      let lm = g.forward(&mut acts, &tokens, Some(&targets), None).unwrap_or(f32::NAN) as f64;
      g.p.data[ti][i] = orig;
      let num = (lp - lm) / (2.0 * eps as f64);
      max_err = max_err.max((num - grads[ti][i] as f64).abs());
      max_abs = max_abs.max((grads[ti][i] as f64).abs());
      checked += 1;
    }
  }
  Ok(Report { kernel: "glm_model".into(), max_rel_err: max_err / max_abs, checked })
}

/// Whole-model check of a 2-hidden-layer tanh mlp with softmax cross-entropy.
#[allow(clippy::needless_range_loop)]
fn model_check_mlp(rng: &mut Rng) -> Res<Report> {
  use crate::mlp::{Mlp, MlpConfig, Task};
  let cfg = MlpConfig { task: Task::Classification, inputs: 5, outputs: 3, layers: 2, width: 6, activation: "tanh".into(), dropout: 0.0 };
  let mut m = Mlp::new(cfg, 3)?;
  let rows = 4;
  let x = randv(rng, rows * 5, 1.0);
  let y: Vec<f32> = (0..rows).map(|_| rng.below(3) as f32).collect();
  let mut a = m.acts(rows, true);
  m.forward(&mut a, &x, None);
  m.loss(&mut a, &y);
  let mut grads = m.p.zeros_like();
  m.backward(&mut a, &mut grads);
  let eval = |m: &Mlp| {
    let mut a = m.acts(rows, false);
    m.forward(&mut a, &x, None);
    m.loss(&mut a, &y) as f64
  };
  let eps = 1e-2f32;
  let (mut max_err, mut max_abs, mut checked) = (0f64, 1e-6f64, 0u32);
  for ti in 0..m.p.data.len() {
    for _ in 0..4 {
      let i = rng.below(m.p.data[ti].len());
      let orig = m.p.data[ti][i];
      m.p.data[ti][i] = orig + eps;
      let lp = eval(&m);
      m.p.data[ti][i] = orig - eps;
      let lm = eval(&m);
      m.p.data[ti][i] = orig;
      let num = (lp - lm) / (2.0 * eps as f64);
      max_err = max_err.max((num - grads[ti][i] as f64).abs());
      max_abs = max_abs.max((grads[ti][i] as f64).abs());
      checked += 1;
    }
  }
  Ok(Report { kernel: "mlp_model".into(), max_rel_err: max_err / max_abs, checked })
}
