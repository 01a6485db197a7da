//! One glm training pass over a batch: forward (with optional dropout) and backward.

use super::{Acts, Glm, FCB, FCPB, FCPW, FCW, LN1B, LN1W, LN2B, LN2W, PROJB, PROJW, QKVB, QKVW, VOCAB, WPE, WTE};
use crate::cpu::kernels as k;
use crate::rng::Rng;

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
}
