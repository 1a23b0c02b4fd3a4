// GEMV and GEMM on grouped activations (kernels/grouped_s8.h) with vpdpbusd.
// The operands swap roles against gemv/gemm_s8_avx512vnni.cpp: the weights are
// the u8 operand (w ^ 0x80 = w + 128) and the activations the s8 one, so the
// offset's correction is one scalar per row whatever its shifts, 128 * sum
// (sum = sum_k q[k] << shift), rather than a row sum per weight group.
// Each group of 32 inputs (8 k-steps) accumulates in its own registers, which
// then fold into the totals shifted by the group's shift (vpsllvd + vpaddd).
// The GEMM tile is 6 rows x 2 row blocks so that its 12 group accumulators and
// 12 totals all stay in registers. Measured on TinyLlama's ffn_down (M 510), it
// runs at 0.9x of the plain GEMM; 6 x 4 with the totals in L1 ran at 0.6-0.75x.
// Folding only where a row's shift changes did not pay: with 6 rows a fold is
// due in most groups anyway, and the branches mispredict. Nor did taking the rows
// in chunks of 96 past every panel (to keep them in L2): the kernel alone gained
// at M = 2016, but re-reading the weights for every chunk cost the whole 2016-token
// prefill 4% (its attention slowed).
// Bound: |result| <= 127 * 127 * K * 2^shift < 2^31 (GroupShiftLimit); the
// offset terms may wrap, vpdpbusd and the folds wrap too, and the corrected
// result is exact modulo 2^32, hence exact.
#include <immintrin.h>

#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/s8_groups.h"

namespace ingot::kernels::avx512vnni {

namespace {

constexpr int32_t kBlockBytes = kPackRows * kPackK;     // 64
constexpr int32_t kGroupSteps = kActGroup / kPackK;     // 8 k-steps per group
constexpr int64_t kPrefetchBytes = 2048;                // as gemv_s8_avx512vnni.cpp
constexpr int32_t kTileRows = 6;
constexpr int32_t kTileBlocks = 2;

inline __m512i WeightsU8(const int8_t* p) {
  return _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_set1_epi32(static_cast<int32_t>(0x80808080u)));
}

// 128 * sum as the offset terms accumulated it (modulo 2^32).
inline __m512i Offset(int32_t sum) { return _mm512_slli_epi32(_mm512_set1_epi32(sum), 7); }

template <int kBlocks>
void GemvBlocks(const PackedS8Weights& w, const GroupedS8Rows& x, int32_t block, int32_t n_begin, int32_t n_end,
                int32_t* y) {
  const int32_t steps = w.k_pad / kPackK;
  const int64_t block_stride = static_cast<int64_t>(w.k_pad) * kPackRows;
  const int8_t* base = w.data + block * block_stride;
  __m512i acc[kBlocks];
  for (int b = 0; b < kBlocks; ++b) acc[b] = _mm512_setzero_si512();
  for (int32_t g = 0, step = 0; step < steps; ++g) {
    const int32_t group_end = step + kGroupSteps < steps ? step + kGroupSteps : steps;
    __m512i part[kBlocks];
    for (int b = 0; b < kBlocks; ++b) part[b] = _mm512_setzero_si512();
    for (; step < group_end; ++step) {
      // kPrefetchBytes ahead; past the block's end, into the block it reads next (kBlocks on).
      int64_t ahead = static_cast<int64_t>(step) * kBlockBytes + kPrefetchBytes;
      if (ahead >= block_stride) ahead += (kBlocks - 1) * block_stride;
      const __m512i xg = _mm512_set1_epi32(static_cast<int32_t>(LoadGroup(x.q, w.k, step)));
      for (int b = 0; b < kBlocks; ++b) {
        const int8_t* p = base + b * block_stride;
        _mm_prefetch(reinterpret_cast<const char*>(p + ahead), _MM_HINT_T0);
        part[b] = _mm512_dpbusd_epi32(part[b], WeightsU8(p + static_cast<int64_t>(step) * kBlockBytes), xg);
      }
    }
    const __m128i shift = _mm_cvtsi32_si128(x.shifts[g]);
    for (int b = 0; b < kBlocks; ++b) acc[b] = _mm512_add_epi32(acc[b], _mm512_sll_epi32(part[b], shift));
  }
  for (int b = 0; b < kBlocks; ++b) {
    const int32_t row0 = (block + b) * kPackRows;
    _mm512_mask_storeu_epi32(y + row0, RowMask(block + b, n_begin, n_end), _mm512_sub_epi32(acc[b], Offset(x.sums[0])));
  }
}

// Group accumulators t<row><block> and totals s<row><block> are named registers (see
// gemm_s8_avx512vnni.cpp). Unused ones compile away.
#define INGOT_GROUPED_ROW(r, whole)                                            \
  if constexpr ((r) < kRows) {                                                 \
    const __m512i xg = _mm512_set1_epi32(LoadStep(a, r, w.k, step, whole));    \
    t##r##0 = _mm512_dpbusd_epi32(t##r##0, w0, xg);                            \
    if constexpr (kBlocks > 1) t##r##1 = _mm512_dpbusd_epi32(t##r##1, w1, xg); \
  }

#define INGOT_GROUPED_FOLD(r)                                                                    \
  if constexpr ((r) < kRows) {                                                                   \
    const __m512i shift = _mm512_set1_epi32(a.shifts[(r) * a.ld_shifts + g]);                    \
    s##r##0 = _mm512_add_epi32(s##r##0, _mm512_sllv_epi32(t##r##0, shift));                      \
    t##r##0 = zero;                                                                              \
    if constexpr (kBlocks > 1) {                                                                 \
      s##r##1 = _mm512_add_epi32(s##r##1, _mm512_sllv_epi32(t##r##1, shift));                    \
      t##r##1 = zero;                                                                            \
    }                                                                                            \
  }

#define INGOT_GROUPED_STORE(r)                                                                   \
  if constexpr ((r) < kRows) {                                                                   \
    const __m512i offset = Offset(a.sums[r]);                                                    \
    int32_t* out = c + (r) * ldc + block * kPackRows;                                            \
    _mm512_mask_storeu_epi32(out, RowMask(block, n_begin, n_end), _mm512_sub_epi32(s##r##0, offset)); \
    if constexpr (kBlocks > 1)                                                                   \
      _mm512_mask_storeu_epi32(out + 16, RowMask(block + 1, n_begin, n_end), _mm512_sub_epi32(s##r##1, offset)); \
  }

// One k-step of every row of the tile.
#define INGOT_GROUPED_STEP(whole)                                           \
  {                                                                         \
    const int8_t* p = base + static_cast<int64_t>(step) * kBlockBytes;      \
    const __m512i w0 = WeightsU8(p);                                        \
    const __m512i w1 = kBlocks > 1 ? WeightsU8(p + block_stride) : zero;    \
    INGOT_GROUPED_ROW(0, whole)                                             \
    INGOT_GROUPED_ROW(1, whole)                                             \
    INGOT_GROUPED_ROW(2, whole)                                             \
    INGOT_GROUPED_ROW(3, whole)                                             \
    INGOT_GROUPED_ROW(4, whole)                                             \
    INGOT_GROUPED_ROW(5, whole)                                             \
  }

// The 4 activation bytes of k-step `step` of row r (zero-padded past k unless the group is whole).
inline int32_t LoadStep(const GroupedS8Rows& a, int32_t r, int32_t k, int32_t step, bool whole) {
  int32_t v = 0;
  if (whole) {
    __builtin_memcpy(&v, a.q + r * a.ld_q + 4 * step, 4);
  } else {
    v = static_cast<int32_t>(LoadGroup(a.q + r * a.ld_q, k, step));
  }
  return v;
}

template <int kRows, int kBlocks>
void GemmTile(const GroupedS8Rows& a, const PackedS8Weights& w, int32_t block, int32_t n_begin, int32_t n_end,
              int32_t* c, int64_t ldc) {
  const int32_t steps = w.k_pad / kPackK;
  const int32_t groups = ActGroupCount(w.k);
  const int64_t block_stride = static_cast<int64_t>(w.k_pad) * kPackRows;
  const int8_t* base = w.data + block * block_stride;
  const __m512i zero = _mm512_setzero_si512();
  __m512i t00 = zero, t01 = zero, t10 = zero, t11 = zero, t20 = zero, t21 = zero;
  __m512i t30 = zero, t31 = zero, t40 = zero, t41 = zero, t50 = zero, t51 = zero;
  __m512i s00 = zero, s01 = zero, s10 = zero, s11 = zero, s20 = zero, s21 = zero;
  __m512i s30 = zero, s31 = zero, s40 = zero, s41 = zero, s50 = zero, s51 = zero;
  const int32_t whole_groups = w.k / kActGroup;
  int32_t step = 0;
  for (int32_t g = 0; g < groups; ++g) {
    if (g < whole_groups) {
      // A constant trip count: unrolled, GCC keeps all 24 accumulators in registers.
#pragma GCC unroll 8
      for (int32_t u = 0; u < kGroupSteps; ++u, ++step) INGOT_GROUPED_STEP(true)
    } else {
      for (; step < steps; ++step) INGOT_GROUPED_STEP(false)
    }
    INGOT_GROUPED_FOLD(0)
    INGOT_GROUPED_FOLD(1)
    INGOT_GROUPED_FOLD(2)
    INGOT_GROUPED_FOLD(3)
    INGOT_GROUPED_FOLD(4)
    INGOT_GROUPED_FOLD(5)
  }
  INGOT_GROUPED_STORE(0)
  INGOT_GROUPED_STORE(1)
  INGOT_GROUPED_STORE(2)
  INGOT_GROUPED_STORE(3)
  INGOT_GROUPED_STORE(4)
  INGOT_GROUPED_STORE(5)
}

#undef INGOT_GROUPED_ROW
#undef INGOT_GROUPED_STORE
#undef INGOT_GROUPED_STEP
#undef INGOT_GROUPED_FOLD

template <int kBlocks>
void GemmPanel(const GroupedS8Rows& a, int32_t m_count, const PackedS8Weights& w, int32_t block, int32_t n_begin,
               int32_t n_end, int32_t* c, int64_t ldc) {
  int32_t m = 0;
  for (; m + kTileRows <= m_count; m += kTileRows) {
    GemmTile<kTileRows, kBlocks>(GroupedRowsFrom(a, m), w, block, n_begin, n_end, c + m * ldc, ldc);
  }
  const GroupedS8Rows ar = GroupedRowsFrom(a, m);
  int32_t* cr = c + m * ldc;
  switch (m_count - m) {
    case 1: GemmTile<1, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    case 2: GemmTile<2, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    case 3: GemmTile<3, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    case 4: GemmTile<4, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    case 5: GemmTile<5, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    default: break;
  }
}

}  // namespace

void GemvS8Grouped(const PackedS8Weights& w, const GroupedS8Rows& x, int32_t n_begin, int32_t n_end, int32_t* y) {
  if (n_begin >= n_end) return;
  int32_t block = n_begin / kPackRows;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (; block + 4 <= block_end; block += 4) GemvBlocks<4>(w, x, block, n_begin, n_end, y);
  for (; block < block_end; ++block) GemvBlocks<1>(w, x, block, n_begin, n_end, y);
}

void GemmS8Grouped(const GroupedS8Rows& a, int32_t m_count, const PackedS8Weights& w, int32_t n_begin,
                   int32_t n_end, int32_t* c, int64_t ldc) {
  if (n_begin >= n_end || m_count <= 0) return;
  int32_t block = n_begin / kPackRows;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (; block + kTileBlocks <= block_end; block += kTileBlocks) {
    GemmPanel<kTileBlocks>(a, m_count, w, block, n_begin, n_end, c, ldc);
  }
  if (block < block_end) GemmPanel<1>(a, m_count, w, block, n_begin, n_end, c, ldc);
}

}  // namespace ingot::kernels::avx512vnni
