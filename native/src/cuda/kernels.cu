// CUDA twins of the CPU kernels in src/cpu/kernels.rs, compiled at run time with NVRTC
// (no CUDA headers needed). Same layouts: row-major f32, linear weights [out, in],
// qkv [B, T, 3C], att [B, NH, T, T]. Gradients accumulate (+=) like the CPU side.
// These are straightforward first versions (one warp per row for reductions, one thread
// per (b, h, t) for attention); the fused flash-style attention is future work.

#define WARP 32
// NVRTC without headers: no <stdint.h>, <math.h> or INFINITY, so spell them out.
typedef unsigned long long u64;
#define NEG_INF __int_as_float(0xff800000)

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = WARP / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffff, v, o));
  return v;
}

#define GELU_S 0.7978845608f
__device__ __forceinline__ float gelu(float x) {
  return 0.5f * x * (1.0f + tanhf(GELU_S * (x + 0.044715f * x * x * x)));
}
__device__ __forceinline__ float gelu_grad(float x) {
  float u = GELU_S * (x + 0.044715f * x * x * x);
  float th = tanhf(u);
  return 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * GELU_S * (1.0f + 3.0f * 0.044715f * x * x);
}

extern "C" __global__ void bias_gelu_fwd(float* out, const float* x, const float* b, int rows, int c) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < rows * c) out[i] = gelu(x[i] + b[i % c]);
}

// dpre = dout * gelu'(x + b); dx += dpre. The bias gradient is col_sum_acc(dpre).
extern "C" __global__ void bias_gelu_bwd(float* dx, float* dpre, const float* dout, const float* x, const float* b, int rows, int c) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < rows * c) {
    float d = dout[i] * gelu_grad(x[i] + b[i % c]);
    dpre[i] = d;
    dx[i] += d;
  }
}

// acc[col] += sum over rows of x[row, col]; one thread per column (coalesced across threads).
extern "C" __global__ void col_sum_acc(float* acc, const float* x, int rows, int cols) {
  int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= cols) return;
  float s = 0.0f;
  for (int r = 0; r < rows; r++) s += x[(u64)r * cols + j];
  acc[j] += s;
}

// One warp per row.
extern "C" __global__ void layernorm_fwd(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int rows, int c) {
  int row = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP;
  int lane = threadIdx.x % WARP;
  if (row >= rows) return;
  const float* x = inp + (u64)row * c;
  float s = 0.0f;
  for (int i = lane; i < c; i += WARP) s += x[i];
  float mu = warp_sum(s) / c;
  float v = 0.0f;
  for (int i = lane; i < c; i += WARP) v += (x[i] - mu) * (x[i] - mu);
  float r = rsqrtf(warp_sum(v) / c + 1e-5f);
  float* o = out + (u64)row * c;
  for (int i = lane; i < c; i += WARP) o[i] = (x[i] - mu) * r * w[i] + b[i];
  if (lane == 0) {
    mean[row] = mu;
    rstd[row] = r;
  }
}

// One warp per row; dw/db through atomics (first version; a two-pass reduction is faster).
extern "C" __global__ void layernorm_bwd(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w, const float* mean, const float* rstd, int rows, int c) {
  int row = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP;
  int lane = threadIdx.x % WARP;
  if (row >= rows) return;
  const float* x = inp + (u64)row * c;
  const float* g = dout + (u64)row * c;
  float mu = mean[row], rs = rstd[row];
  float a = 0.0f, bb = 0.0f;
  for (int i = lane; i < c; i += WARP) {
    float norm = (x[i] - mu) * rs;
    float dn = g[i] * w[i];
    a += dn;
    bb += dn * norm;
  }
  a = warp_sum(a) / c;
  bb = warp_sum(bb) / c;
  float* dx = dinp + (u64)row * c;
  for (int i = lane; i < c; i += WARP) {
    float norm = (x[i] - mu) * rs;
    float dn = g[i] * w[i];
    dx[i] += (dn - a - norm * bb) * rs;
    atomicAdd(&dw[i], g[i] * norm);
    atomicAdd(&db[i], g[i]);
  }
}

// One thread per (b, h, t).
extern "C" __global__ void attention_fwd(float* out, float* att, const float* qkv, int B, int T, int C, int NH) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * NH * T) return;
  int t = idx % T, h = (idx / T) % NH, b = idx / (T * NH);
  int hs = C / NH;
  float scale = rsqrtf((float)hs);
  const float* q = qkv + ((u64)(b * T + t)) * 3 * C + h * hs;
  float* arow = att + (((u64)(b * NH + h)) * T + t) * T;
  float mx = NEG_INF;
  for (int t2 = 0; t2 <= t; t2++) {
    const float* k = qkv + ((u64)(b * T + t2)) * 3 * C + C + h * hs;
    float s = 0.0f;
    for (int i = 0; i < hs; i++) s += q[i] * k[i];
    s *= scale;
    arow[t2] = s;
    mx = fmaxf(mx, s);
  }
  float sum = 0.0f;
  for (int t2 = 0; t2 <= t; t2++) {
    float e = expf(arow[t2] - mx);
    arow[t2] = e;
    sum += e;
  }
  float inv = 1.0f / sum;
  for (int t2 = 0; t2 < T; t2++) arow[t2] = t2 <= t ? arow[t2] * inv : 0.0f;
  float* o = out + ((u64)(b * T + t)) * C + h * hs;
  for (int i = 0; i < hs; i++) {
    float acc = 0.0f;
    for (int t2 = 0; t2 <= t; t2++) acc += arow[t2] * qkv[((u64)(b * T + t2)) * 3 * C + 2 * C + h * hs + i];
    o[i] = acc;
  }
}

// One thread per (b, h, t); dk and dv are shared across query rows, hence atomics.
extern "C" __global__ void attention_bwd(float* dqkv, const float* dout, const float* qkv, const float* att, int B, int T, int C, int NH) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * NH * T) return;
  int t = idx % T, h = (idx / T) % NH, b = idx / (T * NH);
  int hs = C / NH;
  float scale = rsqrtf((float)hs);
  const float* arow = att + (((u64)(b * NH + h)) * T + t) * T;
  const float* g = dout + ((u64)(b * T + t)) * C + h * hs;
  const float* q = qkv + ((u64)(b * T + t)) * 3 * C + h * hs;
  float* dq = dqkv + ((u64)(b * T + t)) * 3 * C + h * hs;
  // dot = sum_t2 att * datt, datt = g . v
  float dot = 0.0f;
  for (int t2 = 0; t2 <= t; t2++) {
    const float* v = qkv + ((u64)(b * T + t2)) * 3 * C + 2 * C + h * hs;
    float da = 0.0f;
    for (int i = 0; i < hs; i++) da += g[i] * v[i];
    dot += arow[t2] * da;
  }
  for (int t2 = 0; t2 <= t; t2++) {
    const float* v = qkv + ((u64)(b * T + t2)) * 3 * C + 2 * C + h * hs;
    const float* k = qkv + ((u64)(b * T + t2)) * 3 * C + C + h * hs;
    float* dk = dqkv + ((u64)(b * T + t2)) * 3 * C + C + h * hs;
    float* dv = dqkv + ((u64)(b * T + t2)) * 3 * C + 2 * C + h * hs;
    float da = 0.0f;
    for (int i = 0; i < hs; i++) da += g[i] * v[i];
    float dp = arow[t2] * (da - dot) * scale;
    for (int i = 0; i < hs; i++) {
      atomicAdd(&dv[i], arow[t2] * g[i]);
      dq[i] += dp * k[i];
      atomicAdd(&dk[i], dp * q[i]);
    }
  }
}

// Fused softmax + cross-entropy, one warp per row.
extern "C" __global__ void softmax_ce_fwd(float* losses, float* probs, const float* logits, const unsigned int* targets, int n, int v) {
  int row = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP;
  int lane = threadIdx.x % WARP;
  if (row >= n) return;
  const float* l = logits + (u64)row * v;
  float* p = probs + (u64)row * v;
  float mx = NEG_INF;
  for (int i = lane; i < v; i += WARP) mx = fmaxf(mx, l[i]);
  mx = warp_max(mx);
  float s = 0.0f;
  for (int i = lane; i < v; i += WARP) s += expf(l[i] - mx);
  s = warp_sum(s);
  float inv = 1.0f / s;
  for (int i = lane; i < v; i += WARP) p[i] = expf(l[i] - mx) * inv;
  if (lane == 0) losses[row] = logf(s) - (l[targets[row]] - mx);
}

extern "C" __global__ void softmax_ce_bwd(float* dlogits, const float* probs, const unsigned int* targets, const float* dloss, int n, int v) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n * v) return;
  int row = i / v, col = i % v;
  float g = dloss[row];
  dlogits[i] += (probs[i] - (col == (int)targets[row] ? 1.0f : 0.0f)) * g;
}

extern "C" __global__ void embedding_fwd(float* out, const unsigned int* tokens, const float* wte, const float* wpe, int B, int T, int C) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= B * T * C) return;
  int r = i / C, c = i % C;
  out[i] = wte[(u64)tokens[r] * C + c] + wpe[(u64)(r % T) * C + c];
}

extern "C" __global__ void embedding_bwd(float* dwte, float* dwpe, const float* dout, const unsigned int* tokens, int B, int T, int C) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= B * T * C) return;
  int r = i / C, c = i % C;
  atomicAdd(&dwte[(u64)tokens[r] * C + c], dout[i]);
  atomicAdd(&dwpe[(u64)(r % T) * C + c], dout[i]);
}

// Fused AdamW (decoupled weight decay), bias corrections precomputed on the host;
// gscale folds gradient clipping into the same pass.
extern "C" __global__ void adamw(float* p, const float* g, float* m, float* v, int n, float lr, float b1, float b2, float eps, float wd, float bc1, float bc2, float gscale) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float gi = g[i] * gscale;
  float mi = b1 * m[i] + (1.0f - b1) * gi;
  float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] -= lr * ((mi / bc1) / (sqrtf(vi / bc2) + eps) + wd * p[i]);
}

extern "C" __global__ void residual_add(float* out, const float* a, const float* b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}

// acc[0] += sum x^2 (grid-stride, warp reduce, one atomic per warp).
extern "C" __global__ void sum_squares(float* acc, const float* x, int n) {
  float s = 0.0f;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) s += x[i] * x[i];
  s = warp_sum(s);
  if ((threadIdx.x % WARP) == 0) atomicAdd(acc, s);
}

// ---------------------------------------------------------------------------------------
// Row-parallel causal attention without the T×T matrix (FlashAttention-2's recurrences,
// one thread per row, no shared-memory tiling yet). HS (head size) is a compile-time
// constant passed by the host (-DHS=…) so q/o/k/v rows live in registers. Threads of a
// warp own consecutive rows of one head and step the inner loop in lockstep, so their
// reads of the other operand's rows hit the same address: one broadcast transaction.
// Forward keeps lse = m + log(l) per row; backward recomputes P = exp(S − lse).
#ifndef HS
#define HS 64
#endif

__device__ __forceinline__ void row_index(int idx, int T, int NH, int* b, int* h, int* i) {
  *i = idx % T;
  *h = (idx / T) % NH;
  *b = idx / (T * NH);
}

extern "C" __global__ void attn_rows_fwd(float* out, float* lse, const float* qkv, int B, int T, int C, int NH) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * NH * T) return;
  int b, h, i;
  row_index(idx, T, NH, &b, &h, &i);
  const float scale = rsqrtf((float)HS);
  const float* base = qkv + (u64)b * T * 3 * C + h * HS;
  float q[HS], o[HS];
#pragma unroll
  for (int d = 0; d < HS; d++) {
    q[d] = base[(u64)i * 3 * C + d] * scale;
    o[d] = 0.0f;
  }
  float m = NEG_INF, l = 0.0f;
  for (int j = 0; j <= i; j++) {
    const float* k = base + (u64)j * 3 * C + C;
    const float* v = base + (u64)j * 3 * C + 2 * C;
    float s = 0.0f;
#pragma unroll
    for (int d = 0; d < HS; d++) s += q[d] * k[d];
    float mn = fmaxf(m, s);
    float corr = expf(m - mn);
    float p = expf(s - mn);
    l = l * corr + p;
#pragma unroll
    for (int d = 0; d < HS; d++) o[d] = o[d] * corr + p * v[d];
    m = mn;
  }
  float inv = 1.0f / l;
  float* orow = out + ((u64)b * T + i) * C + h * HS;
#pragma unroll
  for (int d = 0; d < HS; d++) orow[d] = o[d] * inv;
  lse[idx] = m + logf(l);
}

// D[row] = dO[row] · O[row] (= Σ_j P_ij dP_ij), the softmax-backward row term.
extern "C" __global__ void attn_rows_bwd_d(float* dsum, const float* dout, const float* out, int B, int T, int C, int NH) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * NH * T) return;
  int b, h, i;
  row_index(idx, T, NH, &b, &h, &i);
  const float* g = dout + ((u64)b * T + i) * C + h * HS;
  const float* o = out + ((u64)b * T + i) * C + h * HS;
  float s = 0.0f;
  for (int d = 0; d < HS; d++) s += g[d] * o[d];
  dsum[idx] = s;
}

// dq_i += scale · Σ_{j ≤ i} dS_ij k_j, one thread per query row i.
extern "C" __global__ void attn_rows_bwd_dq(float* dqkv, const float* dout, const float* qkv, const float* lse, const float* dsum, int B, int T, int C, int NH) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * NH * T) return;
  int b, h, i;
  row_index(idx, T, NH, &b, &h, &i);
  const float scale = rsqrtf((float)HS);
  const float* base = qkv + (u64)b * T * 3 * C + h * HS;
  const float* grow = dout + ((u64)b * T + i) * C + h * HS;
  float q[HS], g[HS], dq[HS];
#pragma unroll
  for (int d = 0; d < HS; d++) {
    q[d] = base[(u64)i * 3 * C + d] * scale;
    g[d] = grow[d];
    dq[d] = 0.0f;
  }
  float L = lse[idx], D = dsum[idx];
  for (int j = 0; j <= i; j++) {
    const float* k = base + (u64)j * 3 * C + C;
    const float* v = base + (u64)j * 3 * C + 2 * C;
    float s = 0.0f, dp = 0.0f;
#pragma unroll
    for (int d = 0; d < HS; d++) {
      s += q[d] * k[d];
      dp += g[d] * v[d];
    }
    float ds = expf(s - L) * (dp - D);
#pragma unroll
    for (int d = 0; d < HS; d++) dq[d] += ds * k[d];
  }
  float* dqrow = dqkv + ((u64)b * T + i) * 3 * C + h * HS;
#pragma unroll
  for (int d = 0; d < HS; d++) dqrow[d] += dq[d] * scale;
}

// dk_j += scale · Σ_{i ≥ j} dS_ij q_i and dv_j += Σ_{i ≥ j} P_ij dO_i, one thread per key
// row j. Every lane walks i from 0 so the warp reads the same q_i / dO_i together.
extern "C" __global__ void attn_rows_bwd_dkv(float* dqkv, const float* dout, const float* qkv, const float* lse, const float* dsum, int B, int T, int C, int NH) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * NH * T) return;
  int b, h, j;
  row_index(idx, T, NH, &b, &h, &j);
  const float scale = rsqrtf((float)HS);
  const float* base = qkv + (u64)b * T * 3 * C + h * HS;
  float k[HS], v[HS], dk[HS], dv[HS];
#pragma unroll
  for (int d = 0; d < HS; d++) {
    k[d] = base[(u64)j * 3 * C + C + d];
    v[d] = base[(u64)j * 3 * C + 2 * C + d];
    dk[d] = 0.0f;
    dv[d] = 0.0f;
  }
  int row0 = idx - j;  // this head's row 0 in lse / dsum
  for (int i = 0; i < T; i++) {
    if (i < j) continue;
    const float* q = base + (u64)i * 3 * C;
    const float* g = dout + ((u64)b * T + i) * C + h * HS;
    float s = 0.0f, dp = 0.0f;
#pragma unroll
    for (int d = 0; d < HS; d++) {
      s += q[d] * k[d];
      dp += g[d] * v[d];
    }
    float p = expf(s * scale - lse[row0 + i]);
    float ds = p * (dp - dsum[row0 + i]);
#pragma unroll
    for (int d = 0; d < HS; d++) {
      dv[d] += p * g[d];
      dk[d] += ds * q[d];
    }
  }
  float* dkrow = dqkv + ((u64)b * T + j) * 3 * C + C + h * HS;
#pragma unroll
  for (int d = 0; d < HS; d++) {
    dkrow[d] += dk[d] * scale;
    dkrow[C + d] += dv[d];
  }
}

// ---------------------------------------------------------------------------------------
// mlp: bias + activation (0 relu, 1 gelu-tanh, 2 tanh) and mean squared error.
__device__ __forceinline__ float act_f(float z, int act) {
  return act == 0 ? fmaxf(z, 0.0f) : act == 1 ? gelu(z) : tanhf(z);
}
__device__ __forceinline__ float act_grad(float z, int act) {
  if (act == 0) return z > 0.0f ? 1.0f : 0.0f;
  if (act == 1) return gelu_grad(z);
  float th = tanhf(z);
  return 1.0f - th * th;
}

extern "C" __global__ void bias_act_fwd(float* out, const float* x, const float* b, int rows, int c, int act) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < rows * c) out[i] = act_f(x[i] + b[i % c], act);
}

// dpre = dout * act'(x + b); dx += dpre. The bias gradient is col_sum_acc(dpre).
extern "C" __global__ void bias_act_bwd(float* dx, float* dpre, const float* dout, const float* x, const float* b, int rows, int c, int act) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < rows * c) {
    float d = dout[i] * act_grad(x[i] + b[i % c], act);
    dpre[i] = d;
    dx[i] += d;
  }
}

// dpred = 2 (pred − target) / n (written, not accumulated); sqerr = (pred − target)².
extern "C" __global__ void mse_fwd_bwd(float* dpred, float* sqerr, const float* pred, const float* target, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    float d = pred[i] - target[i];
    sqerr[i] = d * d;
    dpred[i] = 2.0f * d / n;
  }
}
