//! CUDA against the CPU, kernel by kernel (`cudaCompare`): the same random inputs through
//! both, the largest relative difference over every output and gradient. The GPU machine
//! has no Rust toolchain, so this runs from the release `.node` through JS
//! (test/kernels.test.mjs, gpu-tests/); every entry point probes CUDA first (cudarc panics
//! on a missing library) and runs under `catch` (js/).

use super::{randv, rel};
use crate::cpu::kernels as k;
use crate::cuda::ops::{fail, Gpu};
use crate::error::{NativeError, Res};
use crate::rng::Rng;
use cudarc::driver::{LaunchConfig, PushKernelArg};

/// Records one GPU output against its CPU reference.
type Cmp<'a> = dyn FnMut(&[f32], &[f32]) + 'a;

/// Runs `kernel` on the GPU and the CPU with the same random inputs; returns the largest
/// relative difference over all outputs (forward and backward) and how many values were
/// compared. Shapes are deliberately not multiples of 32 to exercise the bounds checks.
pub fn compare(kernel: &str) -> Res<(f64, u32)> {
  let g = Gpu::new(16)?;
  let mut rng = Rng::new(11);
  let mut worst = 0f64;
  let mut count = 0u32;
  let mut cmp = |a: &[f32], b: &[f32]| {
    worst = worst.max(rel(a, b));
    count += b.len() as u32;
  };
  let run = match kernel {
    "matmul" => matmul,
    "bias_gelu" => bias_gelu,
    "layernorm" => layernorm,
    "attention" => attention,
    "attention_rows" => attention_rows,
    "softmax_ce" => softmax_ce,
    "embedding" => embedding,
    "adamw" => adamw,
    other => return Err(NativeError::InvalidArg(format!("no CUDA comparison for kernel '{other}'"))),
  };
  run(&g, &mut rng, &mut cmp)?;
  g.stream.synchronize().map_err(fail("synchronize"))?;
  Ok((worst, count))
}

/// cuBLASLt forward and backward (bias through the epilogue, its gradient by column sum).
fn matmul(g: &Gpu, rng: &mut Rng, cmp: &mut Cmp) -> Res<()> {
  let (rows, ic, oc) = (70, 96, 50);
  let (x, w, bias, dout) = (randv(rng, rows * ic, 1.0), randv(rng, oc * ic, 0.1), randv(rng, oc, 0.1), randv(rng, rows * oc, 1.0));
  let mut out = vec![0f32; rows * oc];
  k::matmul_fwd(&mut out, &x, &w, Some(&bias), rows, ic, oc);
  let (mut di, mut dw, mut db) = (vec![0f32; rows * ic], vec![0f32; oc * ic], vec![0f32; oc]);
  k::matmul_bwd(Some(&mut di), &mut dw, Some(&mut db), &dout, &x, &w, rows, ic, oc);
  let (gx, gw, gb, gd) = (g.up(&x)?, g.up(&w)?, g.up(&bias)?, g.up(&dout)?);
  let mut gout = g.zeros(rows * oc)?;
  g.matmul_fwd(&mut gout, &gx, &gw, Some(&gb), rows, ic, oc)?;
  let (mut gdi, mut gdw, mut gdb) = (g.zeros(rows * ic)?, g.zeros(oc * ic)?, g.zeros(oc)?);
  g.matmul_bwd(&mut gdi, &mut gdw, Some(&mut gdb), &gd, &gx, &gw, rows, ic, oc)?;
  cmp(&g.down(&gout)?, &out);
  cmp(&g.down(&gdi)?, &di);
  cmp(&g.down(&gdw)?, &dw);
  cmp(&g.down(&gdb)?, &db);
  Ok(())
}

/// Fused bias + GELU forward, backward, and the bias column sum.
fn bias_gelu(g: &Gpu, rng: &mut Rng, cmp: &mut Cmp) -> Res<()> {
  let (rows, c) = (37, 130);
  let (x, b, dout) = (randv(rng, rows * c, 2.0), randv(rng, c, 0.5), randv(rng, rows * c, 1.0));
  let mut out = vec![0f32; rows * c];
  k::bias_gelu_fwd(&mut out, &x, &b, rows, c);
  let (mut dx, mut db) = (vec![0f32; rows * c], vec![0f32; c]);
  k::bias_gelu_bwd(&mut dx, &mut db, &dout, &x, &b, rows, c);
  let (gx, gb, gd) = (g.up(&x)?, g.up(&b)?, g.up(&dout)?);
  let (mut gout, mut gdx, mut gdpre, mut gdb) = (g.zeros(rows * c)?, g.zeros(rows * c)?, g.zeros(rows * c)?, g.zeros(c)?);
  let n = (rows * c) as u32;
  let (ri, ci) = (rows as i32, c as i32);
  let f = g.f("bias_gelu_fwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut gout).arg(&gx).arg(&gb).arg(&ri).arg(&ci);
  unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("bias_gelu_fwd"))?;
  let f = g.f("bias_gelu_bwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut gdx).arg(&mut gdpre).arg(&gd).arg(&gx).arg(&gb).arg(&ri).arg(&ci);
  unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("bias_gelu_bwd"))?;
  g.col_sum_acc(&mut gdb, &gdpre, rows, c)?;
  cmp(&g.down(&gout)?, &out);
  cmp(&g.down(&gdx)?, &dx);
  cmp(&g.down(&gdb)?, &db);
  Ok(())
}

/// LayerNorm forward (with saved mean and 1/std) and backward.
fn layernorm(g: &Gpu, rng: &mut Rng, cmp: &mut Cmp) -> Res<()> {
  let (rows, c) = (45, 200);
  let (x, w, b, dout) = (randv(rng, rows * c, 1.0), randv(rng, c, 1.0), randv(rng, c, 0.5), randv(rng, rows * c, 1.0));
  let (mut out, mut m, mut s) = (vec![0f32; rows * c], vec![0f32; rows], vec![0f32; rows]);
  k::layernorm_fwd(&mut out, &mut m, &mut s, &x, &w, &b, rows, c);
  let (mut dx, mut dw, mut db) = (vec![0f32; rows * c], vec![0f32; c], vec![0f32; c]);
  k::layernorm_bwd(&mut dx, &mut dw, &mut db, &dout, &x, &w, &m, &s, rows, c);
  let (gx, gw, gb, gd) = (g.up(&x)?, g.up(&w)?, g.up(&b)?, g.up(&dout)?);
  let (mut go, mut gm, mut gs) = (g.zeros(rows * c)?, g.zeros(rows)?, g.zeros(rows)?);
  let (ri, ci) = (rows as i32, c as i32);
  let f = g.f("layernorm_fwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut go).arg(&mut gm).arg(&mut gs).arg(&gx).arg(&gw).arg(&gb).arg(&ri).arg(&ci);
  unsafe { l.launch(Gpu::rows_cfg(rows)) }.map_err(fail("layernorm_fwd"))?;
  let (mut gdx, mut gdw, mut gdb) = (g.zeros(rows * c)?, g.zeros(c)?, g.zeros(c)?);
  let f = g.f("layernorm_bwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut gdx).arg(&mut gdw).arg(&mut gdb).arg(&gd).arg(&gx).arg(&gw).arg(&gm).arg(&gs).arg(&ri).arg(&ci);
  unsafe { l.launch(Gpu::rows_cfg(rows)) }.map_err(fail("layernorm_bwd"))?;
  cmp(&g.down(&go)?, &out);
  cmp(&g.down(&gm)?, &m);
  cmp(&g.down(&gs)?, &s);
  cmp(&g.down(&gdx)?, &dx);
  cmp(&g.down(&gdw)?, &dw);
  cmp(&g.down(&gdb)?, &db);
  Ok(())
}

/// The reference attention kernels, which store the T×T probabilities.
fn attention(g: &Gpu, rng: &mut Rng, cmp: &mut Cmp) -> Res<()> {
  let (b, t, c, nh) = (3, 37, 64, 4);
  let (qkv, dout) = (randv(rng, b * t * 3 * c, 1.0), randv(rng, b * t * c, 1.0));
  let (mut out, mut att) = (vec![0f32; b * t * c], vec![0f32; b * nh * t * t]);
  k::attention_fwd(&mut out, &mut att, &qkv, b, t, c, nh);
  let mut dqkv = vec![0f32; b * t * 3 * c];
  k::attention_bwd(&mut dqkv, &dout, &qkv, &att, b, t, c, nh);
  let (gq, gd) = (g.up(&qkv)?, g.up(&dout)?);
  let (mut go, mut ga, mut gdq) = (g.zeros(b * t * c)?, g.zeros(b * nh * t * t)?, g.zeros(b * t * 3 * c)?);
  let (bi, ti, cc, hi) = (b as i32, t as i32, c as i32, nh as i32);
  let n = (b * nh * t) as u32;
  let f = g.f("attention_fwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut go).arg(&mut ga).arg(&gq).arg(&bi).arg(&ti).arg(&cc).arg(&hi);
  unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("attention_fwd"))?;
  let f = g.f("attention_bwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut gdq).arg(&gd).arg(&gq).arg(&ga).arg(&bi).arg(&ti).arg(&cc).arg(&hi);
  unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("attention_bwd"))?;
  cmp(&g.down(&go)?, &out);
  cmp(&g.down(&ga)?, &att);
  cmp(&g.down(&gdq)?, &dqkv);
  Ok(())
}

/// The row-parallel (FlashAttention-2 recurrences) attention, forward and backward.
fn attention_rows(g: &Gpu, rng: &mut Rng, cmp: &mut Cmp) -> Res<()> {
  // head size 16 = the HS this Gpu was compiled for
  let (b, t, c, nh) = (3, 45, 64, 4);
  let (qkv, dout) = (randv(rng, b * t * 3 * c, 1.0), randv(rng, b * t * c, 1.0));
  let (mut out, mut att) = (vec![0f32; b * t * c], vec![0f32; b * nh * t * t]);
  k::attention_fwd(&mut out, &mut att, &qkv, b, t, c, nh);
  let mut dqkv = vec![0f32; b * t * 3 * c];
  k::attention_bwd(&mut dqkv, &dout, &qkv, &att, b, t, c, nh);
  let (gq, gd) = (g.up(&qkv)?, g.up(&dout)?);
  let (mut go, mut glse, mut gsum, mut gdq) = (g.zeros(b * t * c)?, g.zeros(b * nh * t)?, g.zeros(b * nh * t)?, g.zeros(b * t * 3 * c)?);
  g.attention_rows_fwd(&mut go, &mut glse, &gq, b, t, c, nh)?;
  g.attention_rows_bwd(&mut gdq, &mut gsum, &gd, &go, &gq, &glse, b, t, c, nh)?;
  cmp(&g.down(&go)?, &out);
  cmp(&g.down(&gdq)?, &dqkv);
  Ok(())
}

/// Fused softmax + cross-entropy forward and backward.
fn softmax_ce(g: &Gpu, rng: &mut Rng, cmp: &mut Cmp) -> Res<()> {
  let (n, v) = (50, 256);
  let logits = randv(rng, n * v, 3.0);
  let targets: Vec<u32> = (0..n).map(|_| rng.below(v) as u32).collect();
  let dloss = vec![1.0 / n as f32; n];
  let (mut losses, mut probs) = (vec![0f32; n], vec![0f32; n * v]);
  k::softmax_ce_fwd(&mut losses, &mut probs, &logits, &targets, n, v);
  let mut dl = vec![0f32; n * v];
  k::softmax_ce_bwd(&mut dl, &probs, &targets, &dloss, n, v);
  let (gl, gt, gdl) = (g.up(&logits)?, g.up(&targets)?, g.up(&dloss)?);
  let (mut gloss, mut gp, mut gdlog) = (g.zeros(n)?, g.zeros(n * v)?, g.zeros(n * v)?);
  let (ni, vi) = (n as i32, v as i32);
  let f = g.f("softmax_ce_fwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut gloss).arg(&mut gp).arg(&gl).arg(&gt).arg(&ni).arg(&vi);
  unsafe { l.launch(Gpu::rows_cfg(n)) }.map_err(fail("softmax_ce_fwd"))?;
  let f = g.f("softmax_ce_bwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut gdlog).arg(&gp).arg(&gt).arg(&gdl).arg(&ni).arg(&vi);
  unsafe { l.launch(LaunchConfig::for_num_elems((n * v) as u32)) }.map_err(fail("softmax_ce_bwd"))?;
  cmp(&g.down(&gloss)?, &losses);
  cmp(&g.down(&gp)?, &probs);
  cmp(&g.down(&gdlog)?, &dl);
  Ok(())
}

/// Token + position embedding forward and scatter-add backward.
fn embedding(g: &Gpu, rng: &mut Rng, cmp: &mut Cmp) -> Res<()> {
  let (b, t, c, vocab) = (4, 33, 48, 256);
  let tokens: Vec<u32> = (0..b * t).map(|_| rng.below(vocab) as u32).collect();
  let (wte, wpe, dout) = (randv(rng, vocab * c, 1.0), randv(rng, t * c, 1.0), randv(rng, b * t * c, 1.0));
  let mut out = vec![0f32; b * t * c];
  k::embedding_fwd(&mut out, &tokens, &wte, &wpe, b, t, c);
  let (mut dwte, mut dwpe) = (vec![0f32; vocab * c], vec![0f32; t * c]);
  k::embedding_bwd(&mut dwte, &mut dwpe, &dout, &tokens, b, t, c);
  let (gtok, gte, gpe, gd) = (g.up(&tokens)?, g.up(&wte)?, g.up(&wpe)?, g.up(&dout)?);
  let (mut go, mut gdte, mut gdpe) = (g.zeros(b * t * c)?, g.zeros(vocab * c)?, g.zeros(t * c)?);
  let (bi, ti, ci) = (b as i32, t as i32, c as i32);
  let n = (b * t * c) as u32;
  let f = g.f("embedding_fwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut go).arg(&gtok).arg(&gte).arg(&gpe).arg(&bi).arg(&ti).arg(&ci);
  unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("embedding_fwd"))?;
  let f = g.f("embedding_bwd")?;
  let mut l = g.stream.launch_builder(f);
  l.arg(&mut gdte).arg(&mut gdpe).arg(&gd).arg(&gtok).arg(&bi).arg(&ti).arg(&ci);
  unsafe { l.launch(LaunchConfig::for_num_elems(n)) }.map_err(fail("embedding_bwd"))?;
  cmp(&g.down(&go)?, &out);
  cmp(&g.down(&gdte)?, &dwte);
  cmp(&g.down(&gdpe)?, &dwpe);
  Ok(())
}

/// One fused AdamW step (parameters and both moments).
fn adamw(g: &Gpu, rng: &mut Rng, cmp: &mut Cmp) -> Res<()> {
  let n = 5000;
  let (mut p, gr) = (randv(rng, n, 1.0), randv(rng, n, 1.0));
  let (mut m, mut v) = (randv(rng, n, 0.1), randv(rng, n, 0.1).iter().map(|x| x.abs()).collect::<Vec<_>>());
  let (gp0, gg, gm0, gv0) = (g.up(&p)?, g.up(&gr)?, g.up(&m)?, g.up(&v)?);
  let o = k::AdamW { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1 };
  let t = 3u64;
  k::adamw_step(&mut p, &gr, &mut m, &mut v, &o, t, true);
  let (mut gp, mut gm, mut gv) = (gp0, gm0, gv0);
  let bc1 = 1.0 - o.beta1.powi(t as i32);
  let bc2 = 1.0 - o.beta2.powi(t as i32);
  let ni = n as i32;
  let f = g.f("adamw")?;
  let mut l = g.stream.launch_builder(f);
  let gscale = 1.0f32;
  l.arg(&mut gp)
    .arg(&gg)
    .arg(&mut gm)
    .arg(&mut gv)
    .arg(&ni)
    .arg(&o.lr)
    .arg(&o.beta1)
    .arg(&o.beta2)
    .arg(&o.eps)
    .arg(&o.weight_decay)
    .arg(&bc1)
    .arg(&bc2)
    .arg(&gscale);
  unsafe { l.launch(LaunchConfig::for_num_elems(n as u32)) }.map_err(fail("adamw"))?;
  cmp(&g.down(&gp)?, &p);
  cmp(&g.down(&gm)?, &m);
  cmp(&g.down(&gv)?, &v);
  Ok(())
}
