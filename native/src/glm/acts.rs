//! Activation buffers of one (B, T) glm pass, reused across steps.

use super::{GlmConfig, VOCAB};

/// One block's saved activations (dropout masks empty unless training with dropout).
pub(super) struct LayerActs {
  pub(super) ln1: Vec<f32>,
  pub(super) ln1_mean: Vec<f32>,
  pub(super) ln1_rstd: Vec<f32>,
  pub(super) qkv: Vec<f32>,
  pub(super) atty: Vec<f32>,
  pub(super) att: Vec<f32>,
  pub(super) proj: Vec<f32>,
  pub(super) res2: Vec<f32>,
  pub(super) ln2: Vec<f32>,
  pub(super) ln2_mean: Vec<f32>,
  pub(super) ln2_rstd: Vec<f32>,
  pub(super) fch: Vec<f32>,
  pub(super) fch_gelu: Vec<f32>,
  pub(super) fcproj: Vec<f32>,
  pub(super) res3: Vec<f32>,
  pub(super) mask_att: Vec<f32>,
  pub(super) mask_fc: Vec<f32>,
}

/// Activations for one (B, T), reused across steps, plus gradient scratch.
pub struct Acts {
  pub b: usize,
  pub t: usize,
  pub(super) encoded: Vec<f32>,
  pub(super) layers: Vec<LayerActs>,
  pub(super) lnf: Vec<f32>,
  pub(super) lnf_mean: Vec<f32>,
  pub(super) lnf_rstd: Vec<f32>,
  pub logits: Vec<f32>,
  pub(super) probs: Vec<f32>,
  pub losses: Vec<f32>,
  // gradient scratch
  pub(super) d_res: Vec<f32>,
  pub(super) d_res2: Vec<f32>,
  pub(super) d_c: Vec<f32>,
  pub(super) d_c2: Vec<f32>,
  pub(super) d_qkv: Vec<f32>,
  pub(super) d_4c: Vec<f32>,
  pub(super) d_4c2: Vec<f32>,
  pub(super) d_logits: Vec<f32>,
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
