// GEMM with sdot by lane: register tile of up to 4 activation rows x one
// 16-row weight block (16 accumulators); 4 k groups per step. Bound as in
// gemv_s8_neon_dot.cpp.
#include <arm_neon.h>

#include "kernels/arm/neon_dot/neon_common.h"
#include "kernels/arm/neon_dot/neon_dot.h"

namespace ingot::kernels::neon_dot {

namespace {

constexpr int32_t kBlockBytes = kPackRows * kPackK;  // 64
constexpr int32_t kTileRows = 4;

template <int kRows>
void GemmTile(const int8_t* a, int64_t lda, const PackedS8Weights& w, int32_t block, int32_t n_begin,
              int32_t n_end, int32_t* c, int64_t ldc) {
  const int32_t groups = w.k_pad / kPackK;
  const int8_t* base = w.data + block * static_cast<int64_t>(w.k_pad) * kPackRows;
  int32x4_t acc[kRows][4];
  for (int r = 0; r < kRows; ++r) {
    for (int q = 0; q < 4; ++q) acc[r][q] = vdupq_n_s32(0);
  }
  for (int32_t g0 = 0; g0 < groups; g0 += 4) {
    const int32_t count = groups - g0 < 4 ? groups - g0 : 4;
    int8x16_t xv[kRows];
    for (int r = 0; r < kRows; ++r) xv[r] = LoadChunk(a + r * lda, w.k, g0 / 4);
    const int8_t* p = base + static_cast<int64_t>(g0) * kBlockBytes;
    for (int q = 0; q < 4; ++q) {
      const int8x16_t w0 = vld1q_s8(p + 16 * q);
      for (int r = 0; r < kRows; ++r) acc[r][q] = vdotq_laneq_s32(acc[r][q], w0, xv[r], 0);
      if (count > 1) {
        const int8x16_t w1 = vld1q_s8(p + 64 + 16 * q);
        for (int r = 0; r < kRows; ++r) acc[r][q] = vdotq_laneq_s32(acc[r][q], w1, xv[r], 1);
      }
      if (count > 2) {
        const int8x16_t w2 = vld1q_s8(p + 128 + 16 * q);
        for (int r = 0; r < kRows; ++r) acc[r][q] = vdotq_laneq_s32(acc[r][q], w2, xv[r], 2);
      }
      if (count > 3) {
        const int8x16_t w3 = vld1q_s8(p + 192 + 16 * q);
        for (int r = 0; r < kRows; ++r) acc[r][q] = vdotq_laneq_s32(acc[r][q], w3, xv[r], 3);
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int q = 0; q < 4; ++q) StoreRows(c + r * ldc, block * kPackRows + 4 * q, n_begin, n_end, acc[r][q]);
  }
}

}  // namespace

void GemmS8(const int8_t* a, int64_t lda, int32_t m_count, const PackedS8Weights& w, int32_t n_begin,
            int32_t n_end, int32_t* c, int64_t ldc) {
  if (n_begin >= n_end || m_count <= 0) return;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (int32_t block = n_begin / kPackRows; block < block_end; ++block) {
    int32_t m = 0;
    for (; m + kTileRows <= m_count; m += kTileRows) {
      GemmTile<kTileRows>(a + m * lda, lda, w, block, n_begin, n_end, c + m * ldc, ldc);
    }
    const int8_t* ar = a + m * lda;
    int32_t* cr = c + m * ldc;
    switch (m_count - m) {
      case 1: GemmTile<1>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
      case 2: GemmTile<2>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
      case 3: GemmTile<3>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
      default: break;
    }
  }
}

}  // namespace ingot::kernels::neon_dot
