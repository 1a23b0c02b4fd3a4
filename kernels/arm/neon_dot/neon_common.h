// Helpers for the NEON dot-product translation units (internal linkage).
#pragma once

#include <arm_neon.h>

#include <cstdint>

namespace ingot::kernels::neon_dot {
namespace {

// 16 activation bytes x[16c .. 16c+16) (4 k groups), zero-padded past k.
inline int8x16_t LoadChunk(const int8_t* x, int32_t k, int32_t chunk) {
  const int32_t start = 16 * chunk;
  if (start + 16 <= k) return vld1q_s8(x + start);
  int8_t tmp[16] = {};
  for (int32_t i = 0; start + i < k; ++i) tmp[i] = x[start + i];
  return vld1q_s8(tmp);
}

// Stores the 4 lanes of v as rows [row0, row0 + 4) intersected with [n_begin, n_end).
inline void StoreRows(int32_t* y, int32_t row0, int32_t n_begin, int32_t n_end, int32x4_t v) {
  if (row0 >= n_begin && row0 + 4 <= n_end) {
    vst1q_s32(y + row0, v);
    return;
  }
  int32_t lanes[4];
  vst1q_s32(lanes, v);
  for (int32_t i = 0; i < 4; ++i) {
    if (row0 + i >= n_begin && row0 + i < n_end) y[row0 + i] = lanes[i];
  }
}

}  // namespace
}  // namespace ingot::kernels::neon_dot
