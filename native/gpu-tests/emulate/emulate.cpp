// Checks every kernel in src/cuda/kernels.cu under the CPU emulator (cuda_emu.h): each
// forward against a direct reference, each backward against central finite differences
// of its own forward (the same method as the CPU gradient checks). Build and run:
//   g++ -std=c++20 -O1 -pthread -DHS=16 native/gpu-tests/emulate/emulate.cpp -o /tmp/emu && /tmp/emu
#include <cstdio>
#include <random>
#include "cuda_emu.h"
#include "../../src/cuda/kernels.cu"

using V = std::vector<float>;
static std::mt19937 rng(7);
static V randv(size_t n, float s) {
  std::normal_distribution<float> d(0.0f, s);
  V v(n);
  for (auto& x : v) x = d(rng);
  return v;
}
static double maxrel(const V& a, const V& b) {
  double m = 1e-6, e = 0;
  for (size_t i = 0; i < a.size(); i++) {
    m = std::max(m, (double)std::fabs(b[i]));
    e = std::max(e, (double)std::fabs(a[i] - b[i]));
  }
  return e / m;
}
static int failures = 0, passes = 0;
static void report(const char* name, double err, double tol) {
  bool ok = err < tol;
  if (!ok) failures++;
  else passes++;
  std::printf("%-34s max rel err %.2e (tol %.0e) %s\n", name, err, tol, ok ? "ok" : "FAIL");
}
static unsigned blocks(size_t n, unsigned b) { return (unsigned)((n + b - 1) / b); }

// Finite-difference check: grads = analytic dL/dx for L = Σ fwd(x)·r.
static double fd_check(V& x, const std::function<V(const V&)>& fwd, const V& r, const V& grad, int samples = 24) {
  double e = 0, m = 1e-6;
  std::uniform_int_distribution<size_t> pick(0, x.size() - 1);
  const float eps = 1e-2f;
  for (int s = 0; s < samples; s++) {
    size_t i = pick(rng);
    float o = x[i];
    x[i] = o + eps;
    V a = fwd(x);
    x[i] = o - eps;
    V b = fwd(x);
    x[i] = o;
    double lp = 0, lm = 0;
    for (size_t j = 0; j < r.size(); j++) {
      lp += (double)a[j] * r[j];
      lm += (double)b[j] * r[j];
    }
    double num = (lp - lm) / (2 * eps);
    e = std::max(e, std::fabs(num - grad[i]));
    m = std::max(m, std::fabs((double)grad[i]));
  }
  return e / m;
}

static void ref_attention(V& out, V& att, const V& qkv, int B, int T, int C, int NH) {
  int hs = C / NH;
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++)
      for (int i = 0; i < T; i++) {
        std::vector<double> s(i + 1);
        double mx = -1e30, sum = 0;
        for (int j = 0; j <= i; j++) {
          double d = 0;
          for (int k = 0; k < hs; k++) d += (double)qkv[(b * T + i) * 3 * C + h * hs + k] * qkv[(b * T + j) * 3 * C + C + h * hs + k];
          s[j] = d / std::sqrt((double)hs);
          mx = std::max(mx, s[j]);
        }
        for (int j = 0; j <= i; j++) sum += (s[j] = std::exp(s[j] - mx));
        for (int j = 0; j < T; j++) att[((b * NH + h) * T + i) * T + j] = j <= i ? (float)(s[j] / sum) : 0.0f;
        for (int k = 0; k < hs; k++) {
          double o = 0;
          for (int j = 0; j <= i; j++) o += s[j] / sum * qkv[(b * T + j) * 3 * C + 2 * C + h * hs + k];
          out[(b * T + i) * C + h * hs + k] = (float)o;
        }
      }
}

int main() {
  const int B = 2, T = 13, NH = 2, C = NH * HS;
  // --- attention (row kernels and the naive pair)
  {
    V qkv = randv(B * T * 3 * C, 1.0f), ro(B * T * C), ra(B * NH * T * T);
    ref_attention(ro, ra, qkv, B, T, C, NH);
    auto rows_fwd = [&](const V& x) {
      V out(B * T * C), lse(B * NH * T);
      launch(blocks(B * NH * T, 128), 128, false, [&] { attn_rows_fwd(out.data(), lse.data(), x.data(), B, T, C, NH); });
      return out;
    };
    report("attn_rows_fwd vs reference", maxrel(rows_fwd(qkv), ro), 1e-5);
    V r = randv(B * T * C, 1.0f), out(B * T * C), lse(B * NH * T), dsum(B * NH * T), dqkv(B * T * 3 * C, 0.0f);
    launch(blocks(B * NH * T, 128), 128, false, [&] { attn_rows_fwd(out.data(), lse.data(), qkv.data(), B, T, C, NH); });
    launch(blocks(B * NH * T, 128), 128, false, [&] { attn_rows_bwd_d(dsum.data(), r.data(), out.data(), B, T, C, NH); });
    launch(blocks(B * NH * T, 128), 128, false, [&] { attn_rows_bwd_dq(dqkv.data(), r.data(), qkv.data(), lse.data(), dsum.data(), B, T, C, NH); });
    launch(blocks(B * NH * T, 128), 128, false, [&] { attn_rows_bwd_dkv(dqkv.data(), r.data(), qkv.data(), lse.data(), dsum.data(), B, T, C, NH); });
    report("attn_rows_bwd vs finite differences", fd_check(qkv, rows_fwd, r, dqkv, 48), 1e-2);

    auto naive_fwd = [&](const V& x) {
      V o(B * T * C), a(B * NH * T * T);
      launch(blocks(B * NH * T, 1024), 1024, false, [&] { attention_fwd(o.data(), a.data(), x.data(), B, T, C, NH); });
      return o;
    };
    report("attention_fwd vs reference", maxrel(naive_fwd(qkv), ro), 1e-5);
    V o(B * T * C), a(B * NH * T * T), d2(B * T * 3 * C, 0.0f);
    launch(blocks(B * NH * T, 1024), 1024, false, [&] { attention_fwd(o.data(), a.data(), qkv.data(), B, T, C, NH); });
    report("attention_fwd att vs reference", maxrel(a, ra), 1e-5);
    launch(blocks(B * NH * T, 1024), 1024, false, [&] { attention_bwd(d2.data(), r.data(), qkv.data(), a.data(), B, T, C, NH); });
    report("attention_bwd vs finite differences", fd_check(qkv, naive_fwd, r, d2, 48), 1e-2);
    report("attn_rows_bwd vs attention_bwd", maxrel(dqkv, d2), 1e-4);
  }
  // --- layernorm (warp per row)
  {
    const int rows = 11, c = 40;
    V x = randv(rows * c, 1.0f), w = randv(c, 1.0f), bb = randv(c, 0.5f);
    auto fwd = [&](const V& xx) {
      V out(rows * c), mean(rows), rstd(rows);
      launch(blocks(rows, 8), 256, true, [&] { layernorm_fwd(out.data(), mean.data(), rstd.data(), xx.data(), w.data(), bb.data(), rows, c); });
      return out;
    };
    V ref(rows * c);
    for (int r0 = 0; r0 < rows; r0++) {
      double mu = 0, var = 0;
      for (int i = 0; i < c; i++) mu += x[r0 * c + i];
      mu /= c;
      for (int i = 0; i < c; i++) var += (x[r0 * c + i] - mu) * (x[r0 * c + i] - mu);
      double rs = 1 / std::sqrt(var / c + 1e-5);
      for (int i = 0; i < c; i++) ref[r0 * c + i] = (float)((x[r0 * c + i] - mu) * rs * w[i] + bb[i]);
    }
    report("layernorm_fwd vs reference", maxrel(fwd(x), ref), 1e-5);
    V r = randv(rows * c, 1.0f), out(rows * c), mean(rows), rstd(rows), dx(rows * c, 0.0f), dw(c, 0.0f), db(c, 0.0f);
    launch(blocks(rows, 8), 256, true, [&] { layernorm_fwd(out.data(), mean.data(), rstd.data(), x.data(), w.data(), bb.data(), rows, c); });
    launch(blocks(rows, 8), 256, true, [&] { layernorm_bwd(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), mean.data(), rstd.data(), rows, c); });
    report("layernorm_bwd dx vs finite differences", fd_check(x, fwd, r, dx), 1e-2);
    auto fwd_w = [&](const V& ww) {
      V o(rows * c), m(rows), s(rows);
      launch(blocks(rows, 8), 256, true, [&] { layernorm_fwd(o.data(), m.data(), s.data(), x.data(), ww.data(), bb.data(), rows, c); });
      return o;
    };
    report("layernorm_bwd dw vs finite differences", fd_check(w, fwd_w, r, dw), 1e-2);
    double dbref = 0, dberr = 0;
    for (int i = 0; i < c; i++) {
      dbref = 0;
      for (int r0 = 0; r0 < rows; r0++) dbref += r[r0 * c + i];
      dberr = std::max(dberr, std::fabs(dbref - db[i]));
    }
    report("layernorm_bwd db vs column sums", dberr, 1e-4);
  }
  // --- fused softmax + cross-entropy (warp per row)
  {
    const int n = 9, v = 70;
    V logits = randv(n * v, 2.0f);
    std::vector<unsigned> tg(n);
    for (int i = 0; i < n; i++) tg[i] = (i * 31) % v;
    auto fwd = [&](const V& l) {
      V losses(n), probs(n * v);
      launch(blocks(n, 8), 256, true, [&] { softmax_ce_fwd(losses.data(), probs.data(), l.data(), tg.data(), n, v); });
      return losses;
    };
    V ref(n);
    for (int i = 0; i < n; i++) {
      double mx = -1e30, s = 0;
      for (int j = 0; j < v; j++) mx = std::max(mx, (double)logits[i * v + j]);
      for (int j = 0; j < v; j++) s += std::exp(logits[i * v + j] - mx);
      ref[i] = (float)(std::log(s) - (logits[i * v + tg[i]] - mx));
    }
    report("softmax_ce_fwd vs reference", maxrel(fwd(logits), ref), 1e-5);
    V r = randv(n, 1.0f), losses(n), probs(n * v), dl(n * v, 0.0f);
    launch(blocks(n, 8), 256, true, [&] { softmax_ce_fwd(losses.data(), probs.data(), logits.data(), tg.data(), n, v); });
    launch(blocks(n * v, 1024), 1024, false, [&] { softmax_ce_bwd(dl.data(), probs.data(), tg.data(), r.data(), n, v); });
    report("softmax_ce_bwd vs finite differences", fd_check(logits, fwd, r, dl), 1e-2);
  }
  // --- bias + GELU, column sums
  {
    const int rows = 7, c = 33;
    V x = randv(rows * c, 1.5f), bb = randv(c, 0.5f);
    auto fwd = [&](const V& xx) {
      V o(rows * c);
      launch(blocks(rows * c, 1024), 1024, false, [&] { bias_gelu_fwd(o.data(), xx.data(), bb.data(), rows, c); });
      return o;
    };
    auto fwd_b = [&](const V& b2) {
      V o(rows * c);
      launch(blocks(rows * c, 1024), 1024, false, [&] { bias_gelu_fwd(o.data(), x.data(), b2.data(), rows, c); });
      return o;
    };
    V r = randv(rows * c, 1.0f), dx(rows * c, 0.0f), dpre(rows * c), db(c, 0.0f);
    launch(blocks(rows * c, 1024), 1024, false, [&] { bias_gelu_bwd(dx.data(), dpre.data(), r.data(), x.data(), bb.data(), rows, c); });
    launch(blocks(c, 1024), 1024, false, [&] { col_sum_acc(db.data(), dpre.data(), rows, c); });
    report("bias_gelu_bwd dx vs finite differences", fd_check(x, fwd, r, dx), 1e-2);
    report("bias_gelu_bwd db vs finite differences", fd_check(bb, fwd_b, r, db), 1e-2);
  }
  // --- bias + activation for mlp (relu checked away from its kink), MSE
  for (int act = 0; act < 3; act++) {
    const int rows = 6, c = 21;
    V x = randv(rows * c, 1.5f), bb = randv(c, 0.5f);
    if (act == 0)
      for (int i = 0; i < rows * c; i++)
        if (std::fabs(x[i] + bb[i % c]) < 0.05f) x[i] += 0.2f;
    auto fwd = [&](const V& xx) {
      V o(rows * c);
      launch(blocks(rows * c, 1024), 1024, false, [&] { bias_act_fwd(o.data(), xx.data(), bb.data(), rows, c, act); });
      return o;
    };
    V r = randv(rows * c, 1.0f), dx(rows * c, 0.0f), dpre(rows * c);
    launch(blocks(rows * c, 1024), 1024, false, [&] { bias_act_bwd(dx.data(), dpre.data(), r.data(), x.data(), bb.data(), rows, c, act); });
    const char* names[] = {"bias_act_bwd relu vs finite differences", "bias_act_bwd gelu vs finite differences", "bias_act_bwd tanh vs finite differences"};
    report(names[act], fd_check(x, fwd, r, dx), 1e-2);
  }
  {
    const int n = 17;
    V pred = randv(n, 1.0f), tgt = randv(n, 1.0f), dp(n), sq(n);
    launch(blocks(n, 1024), 1024, false, [&] { mse_fwd_bwd(dp.data(), sq.data(), pred.data(), tgt.data(), n); });
    auto fwd = [&](const V& p) {
      V d(n), s(n);
      launch(blocks(n, 1024), 1024, false, [&] { mse_fwd_bwd(d.data(), s.data(), p.data(), tgt.data(), n); });
      double m = 0;
      for (float v : s) m += v;
      return V{(float)(m / n)};
    };
    V one{1.0f};
    report("mse_fwd_bwd vs finite differences", fd_check(pred, fwd, one, dp), 1e-2);
  }
  // --- embedding
  {
    const int b = 2, t = 5, c = 6, vocab = 9;
    std::vector<unsigned> tok(b * t);
    for (int i = 0; i < b * t; i++) tok[i] = (i * 5) % vocab;
    V wte = randv(vocab * c, 1.0f), wpe = randv(t * c, 1.0f);
    auto fwd = [&](const V& w) {
      V o(b * t * c);
      launch(blocks(b * t * c, 1024), 1024, false, [&] { embedding_fwd(o.data(), tok.data(), w.data(), wpe.data(), b, t, c); });
      return o;
    };
    V r = randv(b * t * c, 1.0f), dte(vocab * c, 0.0f), dpe(t * c, 0.0f);
    launch(blocks(b * t * c, 1024), 1024, false, [&] { embedding_bwd(dte.data(), dpe.data(), r.data(), tok.data(), b, t, c); });
    report("embedding_bwd dwte vs finite differences", fd_check(wte, fwd, r, dte), 1e-2);
  }
  // --- AdamW, sum of squares, residual add
  {
    const int n = 3000;
    V p = randv(n, 1.0f), g = randv(n, 1.0f), m = randv(n, 0.1f), v = randv(n, 0.1f);
    for (auto& x : v) x = std::fabs(x);
    V p2 = p, m2 = m, v2 = v;
    float lr = 1e-2f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f, gs = 0.5f;
    float bc1 = 1 - std::pow(b1, 3.0f), bc2 = 1 - std::pow(b2, 3.0f);
    launch(blocks(n, 1024), 1024, false, [&] { adamw(p.data(), g.data(), m.data(), v.data(), n, lr, b1, b2, eps, wd, bc1, bc2, gs); });
    for (int i = 0; i < n; i++) {
      float gi = g[i] * gs;
      m2[i] = b1 * m2[i] + (1 - b1) * gi;
      v2[i] = b2 * v2[i] + (1 - b2) * gi * gi;
      p2[i] -= lr * ((m2[i] / bc1) / (std::sqrt(v2[i] / bc2) + eps) + wd * p2[i]);
    }
    report("adamw vs reference", maxrel(p, p2), 1e-6);
    V acc(1, 0.0f);
    launch(4, 256, true, [&] { sum_squares(acc.data(), g.data(), n); });
    double ss = 0;
    for (float x : g) ss += (double)x * x;
    report("sum_squares vs reference", std::fabs(acc[0] - ss) / ss, 1e-5);
    V o(n);
    launch(blocks(n, 1024), 1024, false, [&] { residual_add(o.data(), p.data(), g.data(), n); });
    double e = 0;
    for (int i = 0; i < n; i++) e = std::max(e, (double)std::fabs(o[i] - (p[i] + g[i])));
    report("residual_add vs reference", e, 1e-6);
  }
  std::printf("emulated kernel checks: %d ok / %d failed\n", passes, failures);
  return failures ? 1 : 0;
}
