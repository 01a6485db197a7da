//! glm inference: KV-cache sampling (and the recomputing reference it is checked against)
//! and the mean held-out loss.

use super::{Acts, Glm, GlmConfig, FCB, FCPB, FCPW, FCW, LN1B, LN1W, LN2B, LN2W, PROJB, PROJW, QKVB, QKVW, VOCAB, WPE, WTE};
use crate::cpu::kernels as k;
use crate::error::{invalid, NativeError, Res};
use crate::memory::check_fits;
use crate::rng::Rng;

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

impl Glm {
  /// Reference sampler: recomputes the whole window for every token (O(T) forward passes
  /// of length T). Kept to check `generate` (KV cache) against; not used by the API.
  pub fn generate_recompute(&self, prompt: &[u8], max_tokens: usize, sampling: Sampling, seed: u64) -> Vec<u8> {
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
      seq.push(sample(&a.logits[(t - 1) * VOCAB..t * VOCAB], sampling, &mut rng) as u32);
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

  /// Samples `max_tokens` bytes after `prompt` with a KV cache: `start_generation`, then one
  /// `generation_step` for all of them (the same code a streaming session runs piecewise).
  pub fn generate(&self, prompt: &[u8], max_tokens: usize, sampling: Sampling, seed: u64) -> Res<Vec<u8>> {
    let mut g = self.start_generation(prompt, max_tokens, sampling, seed)?;
    Ok(self.generation_step(&mut g, max_tokens))
  }

  /// A sampling session after `prompt`: one prefill pass now, then `generation_step` adds
  /// bytes with one incremental step each. When the window is full it re-prefills from the
  /// last context/2 bytes (positions are absolute within the window), so up to `context`
  /// total bytes the output equals `generate_recompute`'s exactly.
  pub fn start_generation(&self, prompt: &[u8], max_tokens: usize, sampling: Sampling, seed: u64) -> Res<Generation> {
    sampling.check()?;
    let ctx = self.cfg.context;
    let mut seq: Vec<u32> = prompt.iter().map(|&b| b as u32).collect();
    if seq.is_empty() {
      seq.push(b'\n' as u32);
    }
    check_fits(self.cfg.train_bytes(1), &format!("generate on glm (context {ctx}, {} heads)", self.cfg.heads))?;
    let mut cache = KvCache::new(&self.cfg);
    let window = seq.split_off(seq.len().saturating_sub(ctx));
    let logits = self.prefill(&mut cache, &window);
    Ok(Generation { cache, rng: Rng::new(seed), tail: window, logits, pending: None, produced: 0, max_tokens, sampling })
  }

  /// Up to `n` more bytes of `g` (fewer when it reaches its `max_tokens`; none after).
  pub fn generation_step(&self, g: &mut Generation, n: usize) -> Vec<u8> {
    let ctx = self.cfg.context;
    let n = n.min(g.max_tokens - g.produced);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
      // The previous byte is fed only when another is wanted: the last one costs no step.
      if let Some(tok) = g.pending.take() {
        g.logits = if g.cache.len == ctx {
          let keep = (ctx / 2).max(1);
          self.prefill(&mut g.cache, &g.tail[g.tail.len() - keep..])
        } else {
          self.decode_step(&mut g.cache, tok)
        };
      }
      let tok = sample(&g.logits, g.sampling, &mut g.rng) as u32;
      g.tail.push(tok);
      // Only the last context/2 bytes are ever re-read: keep the tail bounded by 2 windows.
      if g.tail.len() > 2 * ctx {
        g.tail.drain(..g.tail.len() - ctx);
      }
      g.pending = Some(tok);
      out.push(tok as u8);
    }
    g.produced += n;
    out
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
    while batch > 1 && check_fits(self.cfg.train_bytes(batch), "evalLoss").is_err() {
      batch /= 2;
    }
    check_fits(self.cfg.train_bytes(1), &format!("evalLoss on glm (context {t}, {} heads)", self.cfg.heads))?;
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

/// How each byte is drawn from the logits.
#[derive(Clone, Copy, Debug)]
pub struct Sampling {
  /// 0 = greedy.
  pub temperature: f32,
  /// 0 = no top-k cut.
  pub top_k: usize,
  /// Nucleus: keep the most probable bytes whose probabilities sum to at least `top_p`
  /// (after the top-k cut); 1 = no cut.
  pub top_p: f32,
}

impl Sampling {
  pub fn check(&self) -> Res<()> {
    if !(self.temperature >= 0.0 && self.temperature.is_finite()) {
      return invalid(format!("temperature must be a finite number >= 0, got {}", self.temperature));
    }
    if !(self.top_p > 0.0 && self.top_p <= 1.0) {
      return invalid(format!("topP must be in (0, 1], got {}", self.top_p));
    }
    Ok(())
  }
}

/// A sampling session's state: its KV cache, RNG and the bytes a re-prefill needs. Owned (no
/// borrow of the model), so it can live behind a mutex between calls.
pub struct Generation {
  cache: KvCache,
  rng: Rng,
  /// The window's bytes so far (prompt tail + output), bounded by 2 × context.
  tail: Vec<u32>,
  /// Logits for the next byte, valid when `pending` is None.
  logits: Vec<f32>,
  /// The last sampled byte, not yet fed through the model.
  pending: Option<u32>,
  produced: usize,
  max_tokens: usize,
  sampling: Sampling,
}

impl Generation {
  pub fn produced(&self) -> usize {
    self.produced
  }
  pub fn is_done(&self) -> bool {
    self.produced >= self.max_tokens
  }
}

/// Temperature, then top-k, then top-p sampling; temperature 0 is greedy.
pub fn sample(logits: &[f32], s: Sampling, rng: &mut Rng) -> usize {
  let mut idx: Vec<usize> = (0..logits.len()).collect();
  idx.sort_by(|&a, &b| logits[b].partial_cmp(&logits[a]).unwrap_or(std::cmp::Ordering::Equal));
  if s.temperature == 0.0 {
    return idx[0];
  }
  let k = if s.top_k == 0 { logits.len() } else { s.top_k.min(logits.len()) };
  let top = &idx[..k];
  let maxv = logits[top[0]];
  let mut w: Vec<f32> = top.iter().map(|&i| ((logits[i] - maxv) / s.temperature).exp()).collect();
  let mut sum: f32 = w.iter().sum();
  if s.top_p < 1.0 {
    // `top` is sorted by probability: the nucleus is its shortest prefix reaching top_p.
    let (mut cum, mut keep) = (0f32, w.len());
    for (j, &wi) in w.iter().enumerate() {
      cum += wi;
      if cum >= s.top_p * sum {
        keep = j + 1;
        break;
      }
    }
    w.truncate(keep);
    sum = w.iter().sum();
  }
  let mut r = rng.uniform() * sum;
  for (j, &wi) in w.iter().enumerate() {
    r -= wi;
    if r <= 0.0 {
      return top[j];
    }
  }
  top[w.len() - 1]
}
