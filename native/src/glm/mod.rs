//! `glm`: a small decoder-only transformer over bytes (GPT-2 shape): token + position
//! embedding, pre-norm blocks (LN → causal self-attention → residual, LN → MLP(4C, GELU) →
//! residual), final LN, logits through the tied token embedding.
//!
//! This file holds the config, the parameter layout and initialisation; acts.rs the
//! activation buffers, forward_backward.rs one training pass, inference.rs sampling (KV
//! cache) and held-out loss.

mod acts;
mod forward_backward;
mod inference;

pub use acts::Acts;
pub use inference::{Generation, Sampling};

use crate::error::{invalid, Res};
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
