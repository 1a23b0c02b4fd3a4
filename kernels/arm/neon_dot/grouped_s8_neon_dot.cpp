// Grouped GEMV and GEMM (kernels/grouped_s8.h) with sdot by lane on the
// block16x4 layout, in the tiles of gemv_s8_neon_dot.cpp (two 16-row blocks)
// and gemm_s8_neon_dot.cpp (4 activation rows x one block). Each group of
// kActGroup = 32 inputs, two 16-byte chunks or 8 sdot steps, is accumulated
// into fresh registers, then shifted left by the group's shift (vshlq_s32; in
// the GEMM each activation row has its own) and added to the totals. (Not mla
// by 1 << shift: GCC moves the scalar in with fmov, which the no-float check
// rejects.)
// Whole groups load their activations directly; the one partial group at the
// end (K not a multiple of 32, or of 4) goes through LoadChunk, which
// zero-pads x past K, and issues only the k steps below k_pad. Keeping
// LoadChunk's copy loop (a memcpy call) out of the main loop matters: a call
// clobbers every q register, and GCC then spilled the group dots around it.
// Signed x signed: no offset correction, the row sums are unused.
// Accumulator bound: a group's dot |d| <= 127 * 127 * 32; the totals
// |y| <= 127 * 127 * K * 2^max_shift < 2^31 when the shifts are at most
// GroupShiftLimit(K), as the quantizer's are.
// The GEMM tile's 16 totals and 16 dots fill all 32 q registers: GCC keeps
// the totals on the stack and touches them once per group (per 128 sdots).
#include <arm_neon.h>

#include "kernels/arm/neon_dot/neon_common.h"
#include "kernels/arm/neon_dot/neon_dot.h"

namespace ingot::kernels::neon_dot {

namespace {

constexpr int32_t kBlockBytes = kPackRows * kPackK;  // 64
constexpr int32_t kChunkSteps = 4;                   // k steps per 16-byte activation chunk
constexpr int32_t kGroupSteps = kActGroup / kPackK;  // 8: two chunks
constexpr int32_t kTileRows = 4;
static_assert(kGroupSteps == 2 * kChunkSteps, "a group is two chunks");

// The chunk helpers: `count` k steps (4 but in a partial last chunk) of the weights
// from p against lanes 0..count-1 of an activation chunk. One 16-row block here,
// dot[q] holding rows 4q..4q+3.
inline void BlockChunk(int32x4_t (&dot)[4], const int8_t* p, int8x16_t xv, int32_t count) {
  for (int q = 0; q < 4; ++q) {
    dot[q] = vdotq_laneq_s32(dot[q], vld1q_s8(p + 16 * q), xv, 0);
    if (count > 1) dot[q] = vdotq_laneq_s32(dot[q], vld1q_s8(p + 64 + 16 * q), xv, 1);
    if (count > 2) dot[q] = vdotq_laneq_s32(dot[q], vld1q_s8(p + 128 + 16 * q), xv, 2);
    if (count > 3) dot[q] = vdotq_laneq_s32(dot[q], vld1q_s8(p + 192 + 16 * q), xv, 3);
  }
}

// kRows activation rows against one block: each weight register is loaded once.
template <int kRows>
inline void TileChunk(int32x4_t (&dot)[kRows][4], const int8_t* p, const int8x16_t (&xv)[kRows], int32_t count) {
  for (int q = 0; q < 4; ++q) {
    const int8x16_t w0 = vld1q_s8(p + 16 * q);
    for (int r = 0; r < kRows; ++r) dot[r][q] = vdotq_laneq_s32(dot[r][q], w0, xv[r], 0);
    if (count > 1) {
      const int8x16_t w1 = vld1q_s8(p + 64 + 16 * q);
      for (int r = 0; r < kRows; ++r) dot[r][q] = vdotq_laneq_s32(dot[r][q], w1, xv[r], 1);
    }
    if (count > 2) {
      const int8x16_t w2 = vld1q_s8(p + 128 + 16 * q);
      for (int r = 0; r < kRows; ++r) dot[r][q] = vdotq_laneq_s32(dot[r][q], w2, xv[r], 2);
    }
    if (count > 3) {
      const int8x16_t w3 = vld1q_s8(p + 192 + 16 * q);
      for (int r = 0; r < kRows; ++r) dot[r][q] = vdotq_laneq_s32(dot[r][q], w3, xv[r], 3);
    }
  }
}

// acc += dot << shift, then dot = 0 for the next group.
inline void Fold(int32x4_t (&acc)[4], int32x4_t (&dot)[4], uint8_t shift) {
  const int32x4_t count = vdupq_n_s32(shift);
  for (int q = 0; q < 4; ++q) {
    acc[q] = vaddq_s32(acc[q], vshlq_s32(dot[q], count));
    dot[q] = vdupq_n_s32(0);
  }
}

inline int32_t ChunkCount(int32_t steps, int32_t s0) { return steps - s0 < kChunkSteps ? steps - s0 : kChunkSteps; }

template <int kBlocks>
void GemvBlocks(const PackedS8Weights& w, const GroupedS8Rows& x, int32_t block, int32_t n_begin, int32_t n_end,
                int32_t* y) {
  const int32_t steps = w.k_pad / kPackK;
  const int32_t whole_groups = w.k / kActGroup;
  const int64_t block_stride = static_cast<int64_t>(w.k_pad) * kPackRows;
  const int8_t* base = w.data + block * block_stride;
  int32x4_t acc[kBlocks][4], dot[kBlocks][4];
  for (int b = 0; b < kBlocks; ++b) {
    for (int q = 0; q < 4; ++q) acc[b][q] = dot[b][q] = vdupq_n_s32(0);
  }
  for (int32_t g = 0; g < whole_groups; ++g) {
    const int8x16_t x0 = vld1q_s8(x.q + g * kActGroup), x1 = vld1q_s8(x.q + g * kActGroup + 16);
    for (int b = 0; b < kBlocks; ++b) {
      const int8_t* p = base + b * block_stride + static_cast<int64_t>(g) * kGroupSteps * kBlockBytes;
      BlockChunk(dot[b], p, x0, kChunkSteps);
      BlockChunk(dot[b], p + kChunkSteps * kBlockBytes, x1, kChunkSteps);
      Fold(acc[b], dot[b], x.shifts[g]);
    }
  }
  if (whole_groups < ActGroupCount(w.k)) {
    for (int32_t s0 = whole_groups * kGroupSteps; s0 < steps; s0 += kChunkSteps) {
      const int8x16_t xv = LoadChunk(x.q, w.k, s0 / kChunkSteps);
      for (int b = 0; b < kBlocks; ++b) {
        BlockChunk(dot[b], base + b * block_stride + static_cast<int64_t>(s0) * kBlockBytes, xv, ChunkCount(steps, s0));
      }
    }
    for (int b = 0; b < kBlocks; ++b) Fold(acc[b], dot[b], x.shifts[whole_groups]);
  }
  for (int b = 0; b < kBlocks; ++b) {
    for (int q = 0; q < 4; ++q) StoreRows(y, (block + b) * kPackRows + 4 * q, n_begin, n_end, acc[b][q]);
  }
}

template <int kRows>
void GemmTile(const GroupedS8Rows& a, const PackedS8Weights& w, int32_t block, int32_t n_begin, int32_t n_end,
              int32_t* c, int64_t ldc) {
  const int32_t steps = w.k_pad / kPackK;
  const int32_t whole_groups = w.k / kActGroup;
  const int8_t* base = w.data + block * static_cast<int64_t>(w.k_pad) * kPackRows;
  int32x4_t acc[kRows][4], dot[kRows][4];
  int8x16_t xv[kRows];
  for (int r = 0; r < kRows; ++r) {
    for (int q = 0; q < 4; ++q) acc[r][q] = dot[r][q] = vdupq_n_s32(0);
  }
  for (int32_t g = 0; g < whole_groups; ++g) {
    const int8_t* p = base + static_cast<int64_t>(g) * kGroupSteps * kBlockBytes;
    for (int r = 0; r < kRows; ++r) xv[r] = vld1q_s8(a.q + r * a.ld_q + g * kActGroup);
    TileChunk<kRows>(dot, p, xv, kChunkSteps);
    for (int r = 0; r < kRows; ++r) xv[r] = vld1q_s8(a.q + r * a.ld_q + g * kActGroup + 16);
    TileChunk<kRows>(dot, p + kChunkSteps * kBlockBytes, xv, kChunkSteps);
    for (int r = 0; r < kRows; ++r) Fold(acc[r], dot[r], a.shifts[r * a.ld_shifts + g]);
  }
  if (whole_groups < ActGroupCount(w.k)) {
    for (int32_t s0 = whole_groups * kGroupSteps; s0 < steps; s0 += kChunkSteps) {
      for (int r = 0; r < kRows; ++r) xv[r] = LoadChunk(a.q + r * a.ld_q, w.k, s0 / kChunkSteps);
      TileChunk<kRows>(dot, base + static_cast<int64_t>(s0) * kBlockBytes, xv, ChunkCount(steps, s0));
    }
    for (int r = 0; r < kRows; ++r) Fold(acc[r], dot[r], a.shifts[r * a.ld_shifts + whole_groups]);
  }
  for (int r = 0; r < kRows; ++r) {
    for (int q = 0; q < 4; ++q) StoreRows(c + r * ldc, block * kPackRows + 4 * q, n_begin, n_end, acc[r][q]);
  }
}

}  // namespace

void GemvS8Grouped(const PackedS8Weights& w, const GroupedS8Rows& x, int32_t n_begin, int32_t n_end, int32_t* y) {
  if (n_begin >= n_end) return;
  int32_t block = n_begin / kPackRows;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (; block + 2 <= block_end; block += 2) GemvBlocks<2>(w, x, block, n_begin, n_end, y);
  for (; block < block_end; ++block) GemvBlocks<1>(w, x, block, n_begin, n_end, y);
}

void GemmS8Grouped(const GroupedS8Rows& a, int32_t m_count, const PackedS8Weights& w, int32_t n_begin, int32_t n_end,
                   int32_t* c, int64_t ldc) {
  if (n_begin >= n_end || m_count <= 0) return;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (int32_t block = n_begin / kPackRows; block < block_end; ++block) {
    int32_t m = 0;
    for (; m + kTileRows <= m_count; m += kTileRows) {
      GemmTile<kTileRows>(GroupedRowsFrom(a, m), w, block, n_begin, n_end, c + m * ldc, ldc);
    }
    const GroupedS8Rows ar = GroupedRowsFrom(a, m);
    int32_t* cr = c + m * ldc;
    switch (m_count - m) {
      case 1: GemmTile<1>(ar, w, block, n_begin, n_end, cr, ldc); break;
      case 2: GemmTile<2>(ar, w, block, n_begin, n_end, cr, ldc); break;
      case 3: GemmTile<3>(ar, w, block, n_begin, n_end, cr, ldc); break;
      default: break;
    }
  }
}

}  // namespace ingot::kernels::neon_dot
