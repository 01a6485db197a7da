//! Token + learned position embedding, forward and (scatter-add) backward.

use super::PAR_MIN_ELEMS;
use rayon::prelude::*;

/// out[b, t] = wte[token] + wpe[t]
pub fn embedding_fwd(out: &mut [f32], tokens: &[u32], wte: &[f32], wpe: &[f32], b: usize, t: usize, c: usize) {
  let row = |(r, o): (usize, &mut [f32])| {
    let (tok, pos) = (tokens[r] as usize, r % t);
    let e = &wte[tok * c..(tok + 1) * c];
    let p = &wpe[pos * c..(pos + 1) * c];
    for i in 0..c {
      o[i] = e[i] + p[i];
    }
  };
  if b * t * c >= PAR_MIN_ELEMS {
    out[..b * t * c].par_chunks_mut(c).enumerate().for_each(row);
  } else {
    out[..b * t * c].chunks_mut(c).enumerate().for_each(row);
  }
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
