// A tiny CPU emulator for the CUDA C in src/cuda/kernels.cu, enough to check the kernels'
// arithmetic and indexing on a machine without a GPU: blocks run one after another; lanes
// of a kernel that uses warp shuffles run as 32 OS threads per warp meeting at a barrier at
// every shuffle (lockstep where it matters); other kernels run their lanes in a plain loop.
// Not a model of timing, memory ordering or occupancy.
#pragma once
#include <barrier>
#include <cmath>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline

struct dim3e {
  unsigned x = 0, y = 0, z = 0;
};
inline thread_local dim3e threadIdx, blockIdx;
inline dim3e blockDim, gridDim;

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __int_as_float(unsigned v) {
  float f;
  std::memcpy(&f, &v, 4);
  return f;
}
inline std::mutex atomic_mu;
inline float atomicAdd(float* p, float v) {
  std::lock_guard<std::mutex> g(atomic_mu);
  float old = *p;
  *p = old + v;
  return old;
}

struct Warp {
  float slots[32];
  std::barrier<> bar{32};
};
inline thread_local Warp* cur_warp = nullptr;
inline float __shfl_xor_sync(unsigned, float v, int o) {
  int lane = threadIdx.x % 32;
  cur_warp->slots[lane] = v;
  cur_warp->bar.arrive_and_wait();
  float r = cur_warp->slots[lane ^ o];
  cur_warp->bar.arrive_and_wait();
  return r;
}

// launch(grid, block, warpSync, kernel): kernel is a lambda calling the __global__ function.
inline void launch(unsigned grid, unsigned block, bool warp_sync, const std::function<void()>& k) {
  gridDim = {grid, 1, 1};
  blockDim = {block, 1, 1};
  for (unsigned b = 0; b < grid; b++) {
    if (!warp_sync) {
      for (unsigned t = 0; t < block; t++) {
        blockIdx = {b, 0, 0};
        threadIdx = {t, 0, 0};
        k();
      }
      continue;
    }
    for (unsigned w = 0; w < block / 32; w++) {
      Warp warp;
      std::vector<std::thread> lanes;
      for (unsigned l = 0; l < 32; l++) {
        lanes.emplace_back([&, b, w, l] {
          blockIdx = {b, 0, 0};
          threadIdx = {w * 32 + l, 0, 0};
          cur_warp = &warp;
          k();
        });
      }
      for (auto& t : lanes) t.join();
    }
  }
}
