// GEMV with sdot by lane on the block16x4 layout: a 64-byte group is four q
// registers (4 rows x 4 k each); one q register of activations holds 4 k
// groups, selected by lane. Signed x signed: no offset correction.
// Accumulator bound: |y| <= 127 * 127 * K < 2^31 (K <= kMaxK).
#include <arm_neon.h>

#include "kernels/arm/neon_dot/neon_common.h"
#include "kernels/arm/neon_dot/neon_dot.h"

namespace ingot::kernels::neon_dot {

namespace {

constexpr int32_t kBlockBytes = kPackRows * kPackK;  // 64

template <int kBlocks>
void GemvBlocks(const PackedS8Weights& w, const int8_t* x, int32_t block, int32_t n_begin, int32_t n_end,
                int32_t* y) {
  const int32_t groups = w.k_pad / kPackK;
  const int64_t block_stride = static_cast<int64_t>(w.k_pad) * kPackRows;
  const int8_t* base = w.data + block * block_stride;
  int32x4_t acc[kBlocks][4];
  for (int b = 0; b < kBlocks; ++b) {
    for (int q = 0; q < 4; ++q) acc[b][q] = vdupq_n_s32(0);
  }
  for (int32_t g0 = 0; g0 < groups; g0 += 4) {
    const int8x16_t xv = LoadChunk(x, w.k, g0 / 4);
    const int32_t count = groups - g0 < 4 ? groups - g0 : 4;
    for (int b = 0; b < kBlocks; ++b) {
      const int8_t* p = base + b * block_stride + static_cast<int64_t>(g0) * kBlockBytes;
      for (int q = 0; q < 4; ++q) {
        acc[b][q] = vdotq_laneq_s32(acc[b][q], vld1q_s8(p + 16 * q), xv, 0);
        if (count > 1) acc[b][q] = vdotq_laneq_s32(acc[b][q], vld1q_s8(p + 64 + 16 * q), xv, 1);
        if (count > 2) acc[b][q] = vdotq_laneq_s32(acc[b][q], vld1q_s8(p + 128 + 16 * q), xv, 2);
        if (count > 3) acc[b][q] = vdotq_laneq_s32(acc[b][q], vld1q_s8(p + 192 + 16 * q), xv, 3);
      }
    }
  }
  for (int b = 0; b < kBlocks; ++b) {
    for (int q = 0; q < 4; ++q) StoreRows(y, (block + b) * kPackRows + 4 * q, n_begin, n_end, acc[b][q]);
  }
}

}  // namespace

void GemvS8(const PackedS8Weights& w, const int8_t* x, int32_t n_begin, int32_t n_end, int32_t* y) {
  if (n_begin >= n_end) return;
  int32_t block = n_begin / kPackRows;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (; block + 2 <= block_end; block += 2) GemvBlocks<2>(w, x, block, n_begin, n_end, y);
  for (; block < block_end; ++block) GemvBlocks<1>(w, x, block, n_begin, n_end, y);
}

}  // namespace ingot::kernels::neon_dot
