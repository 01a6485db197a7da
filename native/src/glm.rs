//! `glm`: a small decoder-only transformer over bytes (GPT-2 shape): token + position
//! embedding, pre-norm blocks (LN → causal self-attention → residual, LN → MLP(4C, GELU) →
//! residual), final LN, logits through the tied token embedding.

use crate::cpu::kernels as k;
use crate::error::{invalid, NativeError, Res};
use crate::params::{Init, Tensors};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

pub const VOCAB: usize = 256;
pub(crate) const PER_LAYER: usize = 12;
// Tensor offsets inside a layer.
pub(crate) const LN1W: usize = 0;
pub(crate) const LN1B: usize = 1;
pub(crate) const QKVW: usize = 2;
pub(crate) const QKVB: usize = 3;
pub(crate) const PROJW: usize = 4;
pub(crate) const PROJB: usize = 5;
pub(crate) const LN2W: usize = 6;
pub(crate) const LN2B: usize = 7;
pub(crate) const FCW: usize = 8;
pub(crate) const FCB: usize = 9;
pub(crate) const FCPW: usize = 10;
pub(crate) const FCPB: usize = 11;
pub(crate) const WTE: usize = 0;
pub(crate) const WPE: usize = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GlmConfig {
  #[serde(default = "d_layers")]
  pub layers: usize,
  #[serde(default = "d_heads")]
  pub heads: usize,
  #[serde(default = "d_width")]
  pub width: usize,
  #[serde(default = "d_context")]
  pub context: usize,
  #[serde(default)]
  pub dropout: f32,
}
fn d_layers() -> usize {
  2
}
fn d_heads() -> usize {
  4
}
fn d_width() -> usize {
  64
}
fn d_context() -> usize {
  64
}

impl GlmConfig {
  pub fn validate(&self) -> Res<()> {
    if self.layers == 0 || self.layers > 128 {
      return invalid(format!("glm.layers must be in 1..=128, got {}", self.layers));
    }
    if self.heads == 0 || self.width == 0 || !self.width.is_multiple_of(self.heads) {
      return invalid(format!("glm.width ({}) must be a positive multiple of glm.heads ({})", self.width, self.heads));
    }
    if self.width > 16384 {
      return invalid(format!("glm.width must be at most 16384, got {}", self.width));
    }
    if self.context < 2 || self.context > 8192 {
      return invalid(format!("glm.context must be in 2..=8192, got {}", self.context));
    }
    if !(0.0..0.95).contains(&self.dropout) {
      return invalid(format!("glm.dropout must be in [0, 0.95), got {}", self.dropout));
    }
    Ok(())
  }

  pub fn param_count(&self) -> usize {
    let c = self.width;
    VOCAB * c + self.context * c + self.layers * (12 * c * c + 13 * c) + 2 * c
  }

  /// Bytes held while training with batch `b`: params + grads + 2 AdamW moments, plus the
  /// activations saved for backward (dominated by the B·NH·T² attention matrix and the
  /// 4C MLP activations) and their gradients.
  pub fn train_bytes(&self, b: usize) -> u128 {
    let (c, t, l) = (self.width as u128, self.context as u128, self.layers as u128);
    let b = b as u128;
    let params = 4 * self.param_count() as u128;
    let per_layer = b * t * (c * 16 + 4) + b * self.heads as u128 * t * t + if self.dropout > 0.0 { 2 * b * t * c } else { 0 };
    let acts = b * t * c + l * per_layer + b * t * (c + 2 * VOCAB as u128 + 3) + b * t * (c * 8 + VOCAB as u128);
    4 * (params + acts)
  }
}

pub struct Glm {
  pub cfg: GlmConfig,
  pub p: Tensors,
}

impl Glm {
  pub fn new(cfg: GlmConfig, seed: u64) -> Res<Self> {
    cfg.validate()?;
    let mut rng = Rng::new(seed);
    let (c, l) = (cfg.width, cfg.layers);
    let mut p = Tensors::new();
    let std = 0.02;
    // GPT-2: residual projections scaled by 1/sqrt(2·layers) so the residual stream's
    // variance does not grow with depth.
    let proj_std = 0.02 / ((2 * l) as f32).sqrt();
    p.add("wte", &[VOCAB, c], Init::Normal(std), &mut rng);
    p.add("wpe", &[cfg.context, c], Init::Normal(0.01), &mut rng);
    for i in 0..l {
      let n = |s: &str| format!("h.{i}.{s}");
      p.add(n("ln1.w"), &[c], Init::Ones, &mut rng);
      p.add(n("ln1.b"), &[c], Init::Zeros, &mut rng);
      p.add(n("qkv.w"), &[3 * c, c], Init::Normal(std), &mut rng);
      p.add(n("qkv.b"), &[3 * c], Init::Zeros, &mut rng);
      p.add(n("proj.w"), &[c, c], Init::Normal(proj_std), &mut rng);
      p.add(n("proj.b"), &[c], Init::Zeros, &mut rng);
      p.add(n("ln2.w"), &[c], Init::Ones, &mut rng);
      p.add(n("ln2.b"), &[c], Init::Zeros, &mut rng);
      p.add(n("fc.w"), &[4 * c, c], Init::Normal(std), &mut rng);
      p.add(n("fc.b"), &[4 * c], Init::Zeros, &mut rng);
      p.add(n("fcproj.w"), &[c, 4 * c], Init::Normal(proj_std), &mut rng);
      p.add(n("fcproj.b"), &[c], Init::Zeros, &mut rng);
    }
    p.add("lnf.w", &[c], Init::Ones, &mut rng);
    p.add("lnf.b", &[c], Init::Zeros, &mut rng);
    Ok(Glm { cfg, p })
  }

  fn li(&self, layer: usize, which: usize) -> usize {
    2 + layer * PER_LAYER + which
  }
  fn lnf(&self) -> (usize, usize) {
    let base = 2 + self.cfg.layers * PER_LAYER;
    (base, base + 1)
  }
}

/// Per-layer keys and values of the current window, [context, C] each.
pub struct KvCache {
  k: Vec<Vec<f32>>,
  v: Vec<Vec<f32>>,
  len: usize,
}

impl KvCache {
  fn new(cfg: &GlmConfig) -> Self {
    let n = cfg.context * cfg.width;
    KvCache { k: vec![vec![0f32; n]; cfg.layers], v: vec![vec![0f32; n]; cfg.layers], len: 0 }
  }
}

pub struct LayerActs {
  ln1: Vec<f32>,
  ln1_mean: Vec<f32>,
  ln1_rstd: Vec<f32>,
  qkv: Vec<f32>,
  atty: Vec<f32>,
  att: Vec<f32>,
  proj: Vec<f32>,
  res2: Vec<f32>,
  ln2: Vec<f32>,
  ln2_mean: Vec<f32>,
  ln2_rstd: Vec<f32>,
  fch: Vec<f32>,
  fch_gelu: Vec<f32>,
  fcproj: Vec<f32>,
  res3: Vec<f32>,
  mask_att: Vec<f32>,
  mask_fc: Vec<f32>,
}

/// Activations for one (B, T), reused across steps, plus gradient scratch.
pub struct Acts {
  pub b: usize,
  pub t: usize,
  encoded: Vec<f32>,
  layers: Vec<LayerActs>,
  lnf: Vec<f32>,
  lnf_mean: Vec<f32>,
  lnf_rstd: Vec<f32>,
  pub logits: Vec<f32>,
  probs: Vec<f32>,
  pub losses: Vec<f32>,
  // gradient scratch
  d_res: Vec<f32>,
  d_res2: Vec<f32>,
  d_c: Vec<f32>,
  d_c2: Vec<f32>,
  d_qkv: Vec<f32>,
  d_4c: Vec<f32>,
  d_4c2: Vec<f32>,
  d_logits: Vec<f32>,
}

impl Acts {
  pub fn new(cfg: &GlmConfig, b: usize, t: usize, with_grads: bool) -> Self {
    let (c, nh) = (cfg.width, cfg.heads);
    let bt = b * t;
    let z = |n: usize| vec![0f32; n];
    let drop = cfg.dropout > 0.0 && with_grads;
    let layers = (0..cfg.layers)
      .map(|_| LayerActs {
        ln1: z(bt * c),
        ln1_mean: z(bt),
        ln1_rstd: z(bt),
        qkv: z(bt * 3 * c),
        atty: z(bt * c),
        att: z(b * nh * t * t),
        proj: z(bt * c),
        res2: z(bt * c),
        ln2: z(bt * c),
        ln2_mean: z(bt),
        ln2_rstd: z(bt),
        fch: z(bt * 4 * c),
        fch_gelu: z(bt * 4 * c),
        fcproj: z(bt * c),
        res3: z(bt * c),
        mask_att: if drop { z(bt * c) } else { vec![] },
        mask_fc: if drop { z(bt * c) } else { vec![] },
      })
      .collect();
    let g = |n: usize| if with_grads { vec![0f32; n] } else { vec![] };
    Acts {
      b,
      t,
      encoded: z(bt * c),
      layers,
      lnf: z(bt * c),
      lnf_mean: z(bt),
      lnf_rstd: z(bt),
      logits: z(bt * VOCAB),
      probs: z(bt * VOCAB),
      losses: z(bt),
      d_res: g(bt * c),
      d_res2: g(bt * c),
      d_c: g(bt * c),
      d_c2: g(bt * c),
      d_qkv: g(bt * 3 * c),
      d_4c: g(bt * 4 * c),
      d_4c2: g(bt * 4 * c),
      d_logits: g(bt * VOCAB),
    }
  }
}

impl Glm {
  /// Forward over tokens [B, T]. With targets, returns the mean cross-entropy (nats).
  /// `train_rng` turns dropout on.
  pub fn forward(&self, a: &mut Acts, tokens: &[u32], targets: Option<&[u32]>, mut train_rng: Option<&mut Rng>) -> Option<f32> {
    let (b, t, c, nh) = (a.b, a.t, self.cfg.width, self.cfg.heads);
    let bt = b * t;
    let d = &self.p.data;
    let drop = self.cfg.dropout;
    k::embedding_fwd(&mut a.encoded, tokens, &d[WTE], &d[WPE], b, t, c);
    for l in 0..self.cfg.layers {
      let w = |x: usize| &d[self.li(l, x)];
      let (prev, rest) = a.layers.split_at_mut(l);
      let la = &mut rest[0];
      let residual: &[f32] = if l == 0 { &a.encoded } else { &prev[l - 1].res3 };
      k::layernorm_fwd(&mut la.ln1, &mut la.ln1_mean, &mut la.ln1_rstd, residual, w(LN1W), w(LN1B), bt, c);
      k::matmul_fwd(&mut la.qkv, &la.ln1, w(QKVW), Some(w(QKVB)), bt, c, 3 * c);
      k::attention_fwd(&mut la.atty, &mut la.att, &la.qkv, b, t, c, nh);
      k::matmul_fwd(&mut la.proj, &la.atty, w(PROJW), Some(w(PROJB)), bt, c, c);
      if let (Some(rng), true) = (train_rng.as_deref_mut(), drop > 0.0 && !la.mask_att.is_empty()) {
        k::dropout_fwd(&mut la.proj, &mut la.mask_att, drop, rng);
      }
      for ((r2, x), y) in la.res2.iter_mut().zip(residual).zip(&la.proj) {
        *r2 = x + y;
      }
      k::layernorm_fwd(&mut la.ln2, &mut la.ln2_mean, &mut la.ln2_rstd, &la.res2, w(LN2W), w(LN2B), bt, c);
      k::matmul_fwd(&mut la.fch, &la.ln2, w(FCW), None, bt, c, 4 * c);
      k::bias_gelu_fwd(&mut la.fch_gelu, &la.fch, w(FCB), bt, 4 * c);
      k::matmul_fwd(&mut la.fcproj, &la.fch_gelu, w(FCPW), Some(w(FCPB)), bt, 4 * c, c);
      if let (Some(rng), true) = (train_rng.as_deref_mut(), drop > 0.0 && !la.mask_fc.is_empty()) {
        k::dropout_fwd(&mut la.fcproj, &mut la.mask_fc, drop, rng);
      }
      for ((r3, x), y) in la.res3.iter_mut().zip(&la.res2).zip(&la.fcproj) {
        *r3 = x + y;
      }
    }
    let (lw, lb) = self.lnf();
    let last: &[f32] = &a.layers[self.cfg.layers - 1].res3;
    k::layernorm_fwd(&mut a.lnf, &mut a.lnf_mean, &mut a.lnf_rstd, last, &d[lw], &d[lb], bt, c);
    k::matmul_fwd(&mut a.logits, &a.lnf, &d[WTE], None, bt, c, VOCAB);
    let targets = targets?;
    k::softmax_ce_fwd(&mut a.losses, &mut a.probs, &a.logits, targets, bt, VOCAB);
    Some(a.losses[..bt].iter().map(|v| *v as f64).sum::<f64>() as f32 / bt as f32)
  }

  /// Backward of the mean loss; accumulates into `g`. `forward` with targets (and the same
  /// dropout masks) must have run on `a`.
  pub fn backward(&self, a: &mut Acts, g: &mut [Vec<f32>], tokens: &[u32], targets: &[u32]) {
    let (b, t, c, nh) = (a.b, a.t, self.cfg.width, self.cfg.heads);
    let bt = b * t;
    let d = &self.p.data;
    let dloss = vec![1.0 / bt as f32; bt];
    a.d_logits.fill(0.0);
    k::softmax_ce_bwd(&mut a.d_logits, &a.probs, targets, &dloss, bt, VOCAB);
    a.d_c.fill(0.0);
    k::matmul_bwd(Some(&mut a.d_c), &mut g[WTE], None, &a.d_logits, &a.lnf, &d[WTE], bt, c, VOCAB);
    let (lw, lb) = self.lnf();
    a.d_res.fill(0.0);
    {
      let [gw, gb] = g.get_disjoint_mut([lw, lb]).expect("distinct");
      let last = &a.layers[self.cfg.layers - 1].res3;
      k::layernorm_bwd(&mut a.d_res, gw, gb, &a.d_c, last, &d[lw], &a.lnf_mean, &a.lnf_rstd, bt, c);
    }
    let drop = self.cfg.dropout > 0.0;
    for l in (0..self.cfg.layers).rev() {
      let w = |x: usize| &d[self.li(l, x)];
      let idx = |x: usize| self.li(l, x);
      let (prev, rest) = a.layers.split_at(l);
      let la = &rest[0];
      let residual: &[f32] = if l == 0 { &a.encoded } else { &prev[l - 1].res3 };
      // res3 = res2 + drop(fcproj): d_res holds dL/dres3.
      a.d_c.copy_from_slice(&a.d_res);
      if drop && !la.mask_fc.is_empty() {
        for (x, m) in a.d_c.iter_mut().zip(&la.mask_fc) {
          *x *= m;
        }
      }
      a.d_4c.fill(0.0);
      {
        let [gw, gb] = g.get_disjoint_mut([idx(FCPW), idx(FCPB)]).expect("distinct");
        k::matmul_bwd(Some(&mut a.d_4c), gw, Some(gb), &a.d_c, &la.fch_gelu, w(FCPW), bt, 4 * c, c);
      }
      a.d_4c2.fill(0.0);
      k::bias_gelu_bwd(&mut a.d_4c2, &mut g[idx(FCB)], &a.d_4c, &la.fch, w(FCB), bt, 4 * c);
      a.d_c2.fill(0.0);
      k::matmul_bwd(Some(&mut a.d_c2), &mut g[idx(FCW)], None, &a.d_4c2, &la.ln2, w(FCW), bt, c, 4 * c);
      // dL/dres2 = dL/dres3 + LN2 backward
      a.d_res2.copy_from_slice(&a.d_res);
      {
        let [gw, gb] = g.get_disjoint_mut([idx(LN2W), idx(LN2B)]).expect("distinct");
        k::layernorm_bwd(&mut a.d_res2, gw, gb, &a.d_c2, &la.res2, w(LN2W), &la.ln2_mean, &la.ln2_rstd, bt, c);
      }
      a.d_c.copy_from_slice(&a.d_res2);
      if drop && !la.mask_att.is_empty() {
        for (x, m) in a.d_c.iter_mut().zip(&la.mask_att) {
          *x *= m;
        }
      }
      a.d_c2.fill(0.0);
      {
        let [gw, gb] = g.get_disjoint_mut([idx(PROJW), idx(PROJB)]).expect("distinct");
        k::matmul_bwd(Some(&mut a.d_c2), gw, Some(gb), &a.d_c, &la.atty, w(PROJW), bt, c, c);
      }
      a.d_qkv.fill(0.0);
      k::attention_bwd(&mut a.d_qkv, &a.d_c2, &la.qkv, &la.att, b, t, c, nh);
      a.d_c.fill(0.0);
      {
        let [gw, gb] = g.get_disjoint_mut([idx(QKVW), idx(QKVB)]).expect("distinct");
        k::matmul_bwd(Some(&mut a.d_c), gw, Some(gb), &a.d_qkv, &la.ln1, w(QKVW), bt, c, 3 * c);
      }
      a.d_res.copy_from_slice(&a.d_res2);
      {
        let [gw, gb] = g.get_disjoint_mut([idx(LN1W), idx(LN1B)]).expect("distinct");
        k::layernorm_bwd(&mut a.d_res, gw, gb, &a.d_c, residual, w(LN1W), &la.ln1_mean, &la.ln1_rstd, bt, c);
      }
    }
    let [gte, gpe] = g.get_disjoint_mut([WTE, WPE]).expect("distinct");
    k::embedding_bwd(gte, gpe, &a.d_res, tokens, b, t, c);
  }

  /// Reference sampler: recomputes the whole window for every token (O(T) forward passes
  /// of length T). Kept to check `generate` (KV cache) against; not used by the API.
  pub fn generate_recompute(&self, prompt: &[u8], max_tokens: usize, temperature: f32, top_k: usize, seed: u64) -> Vec<u8> {
    let ctx = self.cfg.context;
    let mut rng = Rng::new(seed);
    let mut seq: Vec<u32> = prompt.iter().map(|&b| b as u32).collect();
    if seq.is_empty() {
      seq.push(b'\n' as u32);
    }
    let start = seq.len();
    for _ in 0..max_tokens {
      let window = &seq[seq.len().saturating_sub(ctx)..];
      let t = window.len();
      let mut a = Acts::new(&self.cfg, 1, t, false);
      self.forward(&mut a, window, None, None);
      seq.push(sample(&a.logits[(t - 1) * VOCAB..t * VOCAB], temperature, top_k, &mut rng) as u32);
    }
    seq[start..].iter().map(|&v| v as u8).collect()
  }

  /// Fills `cache` from a full forward pass over `window` (positions 0..len) and returns
  /// the logits after its last token.
  fn prefill(&self, cache: &mut KvCache, window: &[u32]) -> Vec<f32> {
    let (t, c) = (window.len(), self.cfg.width);
    let mut a = Acts::new(&self.cfg, 1, t, false);
    self.forward(&mut a, window, None, None);
    for (l, la) in a.layers.iter().enumerate() {
      for ti in 0..t {
        let row = &la.qkv[ti * 3 * c..(ti + 1) * 3 * c];
        cache.k[l][ti * c..(ti + 1) * c].copy_from_slice(&row[c..2 * c]);
        cache.v[l][ti * c..(ti + 1) * c].copy_from_slice(&row[2 * c..3 * c]);
      }
    }
    cache.len = t;
    a.logits[(t - 1) * VOCAB..t * VOCAB].to_vec()
  }

  /// One incremental step: appends `token` at position cache.len and returns its logits.
  fn decode_step(&self, cache: &mut KvCache, token: u32) -> Vec<f32> {
    let (c, nh) = (self.cfg.width, self.cfg.heads);
    let hs = c / nh;
    let scale = 1.0 / (hs as f32).sqrt();
    let pos = cache.len;
    let d = &self.p.data;
    let mut x: Vec<f32> = (0..c).map(|i| d[WTE][token as usize * c + i] + d[WPE][pos * c + i]).collect();
    let (mut ln, mut mean, mut rstd) = (vec![0f32; c], [0f32], [0f32]);
    let mut qkv = vec![0f32; 3 * c];
    let mut y = vec![0f32; c];
    let mut proj = vec![0f32; c];
    let mut fch = vec![0f32; 4 * c];
    let mut fcg = vec![0f32; 4 * c];
    let mut att = vec![0f32; pos + 1];
    for l in 0..self.cfg.layers {
      let w = |i: usize| &d[self.li(l, i)];
      k::layernorm_fwd(&mut ln, &mut mean, &mut rstd, &x, w(LN1W), w(LN1B), 1, c);
      k::matmul_fwd(&mut qkv, &ln, w(QKVW), Some(w(QKVB)), 1, c, 3 * c);
      cache.k[l][pos * c..(pos + 1) * c].copy_from_slice(&qkv[c..2 * c]);
      cache.v[l][pos * c..(pos + 1) * c].copy_from_slice(&qkv[2 * c..3 * c]);
      for h in 0..nh {
        let q = &qkv[h * hs..(h + 1) * hs];
        let mut maxv = f32::NEG_INFINITY;
        for (t2, a) in att.iter_mut().enumerate() {
          let kr = &cache.k[l][t2 * c + h * hs..t2 * c + (h + 1) * hs];
          *a = q.iter().zip(kr).map(|(p, q)| p * q).sum::<f32>() * scale;
          maxv = maxv.max(*a);
        }
        let mut sum = 0f32;
        for a in att.iter_mut() {
          *a = (*a - maxv).exp();
          sum += *a;
        }
        let o = &mut y[h * hs..(h + 1) * hs];
        o.fill(0.0);
        for (t2, a) in att.iter().enumerate() {
          let vr = &cache.v[l][t2 * c + h * hs..t2 * c + (h + 1) * hs];
          for i in 0..hs {
            o[i] += a / sum * vr[i];
          }
        }
      }
      k::matmul_fwd(&mut proj, &y, w(PROJW), Some(w(PROJB)), 1, c, c);
      for (xi, p) in x.iter_mut().zip(&proj) {
        *xi += p;
      }
      k::layernorm_fwd(&mut ln, &mut mean, &mut rstd, &x, w(LN2W), w(LN2B), 1, c);
      k::matmul_fwd(&mut fch, &ln, w(FCW), None, 1, c, 4 * c);
      k::bias_gelu_fwd(&mut fcg, &fch, w(FCB), 1, 4 * c);
      k::matmul_fwd(&mut proj, &fcg, w(FCPW), Some(w(FCPB)), 1, 4 * c, c);
      for (xi, p) in x.iter_mut().zip(&proj) {
        *xi += p;
      }
    }
    let (lw, lb) = self.lnf();
    k::layernorm_fwd(&mut ln, &mut mean, &mut rstd, &x, &d[lw], &d[lb], 1, c);
    let mut logits = vec![0f32; VOCAB];
    k::matmul_fwd(&mut logits, &ln, &d[WTE], None, 1, c, VOCAB);
    cache.len = pos + 1;
    logits
  }

  /// Samples `max_tokens` bytes after `prompt` (temperature, top-k) with a KV cache: one
  /// prefill pass, then one incremental step per token. When the window is full it
  /// re-prefills from the last context/2 bytes (positions are absolute within the window),
  /// so up to `context` total bytes the output equals `generate_recompute`'s exactly.
  pub fn generate(&self, prompt: &[u8], max_tokens: usize, temperature: f32, top_k: usize, seed: u64) -> Res<Vec<u8>> {
    if !(temperature >= 0.0 && temperature.is_finite()) {
      return invalid(format!("temperature must be a finite number >= 0, got {temperature}"));
    }
    let ctx = self.cfg.context;
    let mut rng = Rng::new(seed);
    let mut seq: Vec<u32> = prompt.iter().map(|&b| b as u32).collect();
    if seq.is_empty() {
      seq.push(b'\n' as u32);
    }
    let start = seq.len();
    crate::train::check_fits(self.cfg.train_bytes(1), &format!("generate on glm (context {ctx}, {} heads)", self.cfg.heads))?;
    let mut cache = KvCache::new(&self.cfg);
    let mut logits = self.prefill(&mut cache, &seq[seq.len().saturating_sub(ctx)..]);
    for i in 0..max_tokens {
      let tok = sample(&logits, temperature, top_k, &mut rng) as u32;
      seq.push(tok);
      if i + 1 == max_tokens {
        break;
      }
      logits = if cache.len == ctx {
        let keep = (ctx / 2).max(1);
        self.prefill(&mut cache, &seq[seq.len() - keep..])
      } else {
        self.decode_step(&mut cache, tok)
      };
    }
    Ok(seq[start..].iter().map(|&v| v as u8).collect())
  }

  /// Mean next-byte loss (nats) over `windows` evenly spaced windows of `text`.
  pub fn eval_loss(&self, text: &[u8], batch: usize, windows: usize) -> Res<f32> {
    let t = self.cfg.context;
    if text.len() < t + 1 {
      return invalid(format!("text must be longer than the context ({t} bytes), got {} bytes", text.len()));
    }
    let mut batch = batch.max(1).min(windows.max(1));
    // A loaded model's config never went through the training-time memory check, and the
    // B·NH·T² attention buffer of a long context can exceed memory even for a small model:
    // shrink the batch until it fits, and refuse if one window does not.
    while batch > 1 && crate::train::check_fits(self.cfg.train_bytes(batch), "evalLoss").is_err() {
      batch /= 2;
    }
    crate::train::check_fits(self.cfg.train_bytes(1), &format!("evalLoss on glm (context {t}, {} heads)", self.cfg.heads))?;
    let span = text.len() - t - 1;
    let mut acts = Acts::new(&self.cfg, batch, t, false);
    let mut total = 0f64;
    let mut n = 0usize;
    let mut w = 0usize;
    while w < windows {
      let mut tokens = Vec::with_capacity(batch * t);
      let mut targets = Vec::with_capacity(batch * t);
      for j in 0..batch {
        let start = if windows <= 1 { 0 } else { ((w + j) % windows) * span / (windows - 1).max(1) };
        tokens.extend(text[start..start + t].iter().map(|&v| v as u32));
        targets.extend(text[start + 1..start + t + 1].iter().map(|&v| v as u32));
      }
      let l = self.forward(&mut acts, &tokens, Some(&targets), None).ok_or_else(|| NativeError::Failure("no loss".into()))?;
      total += l as f64 * batch as f64;
      n += batch;
      w += batch;
    }
    Ok((total / n as f64) as f32)
  }
}

/// Temperature + top-k sampling; temperature 0 is greedy.
pub fn sample(logits: &[f32], temperature: f32, top_k: usize, rng: &mut Rng) -> usize {
  let mut idx: Vec<usize> = (0..logits.len()).collect();
  idx.sort_by(|&a, &b| logits[b].partial_cmp(&logits[a]).unwrap_or(std::cmp::Ordering::Equal));
  if temperature == 0.0 {
    return idx[0];
  }
  let k = if top_k == 0 { logits.len() } else { top_k.min(logits.len()) };
  let top = &idx[..k];
  let maxv = logits[top[0]];
  let w: Vec<f32> = top.iter().map(|&i| ((logits[i] - maxv) / temperature).exp()).collect();
  let sum: f32 = w.iter().sum();
  let mut r = rng.uniform() * sum;
  for (j, &wi) in w.iter().enumerate() {
    r -= wi;
    if r <= 0.0 {
      return top[j];
    }
  }
  top[k - 1]
}
