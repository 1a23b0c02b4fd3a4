// Grouped GEMV and GEMM (kernels/grouped_s8.h) with vpmaddubsw/vpmaddwd: the
// tiles, sign trick and prefetch of gemv_s8_avx2.cpp and gemm_s8_avx2.cpp, with
// the group's shift applied for free by vpmaddwd: its int16 multiplier is
// 2^shift instead of 1 (pairs <= 32258, so 2 * 32258 * 4 per lane fits int32).
// A group of kActGroup inputs is 8 k-steps of kPackK; the last may be partial.
// Accumulator bound: |y| <= 127 * 127 * K * 2^max_shift < 2^31 when the shifts
// are at most GroupShiftLimit(K) (every partial sum is bounded the same way).
#include <immintrin.h>

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd_avx2.h"

namespace ingot::kernels::avx2 {

namespace {

constexpr int32_t kBlockBytes = kPackRows * kPackK;  // 64
constexpr int32_t kGroupSteps = kActGroup / kPackK;  // 8
constexpr int64_t kPrefetchBytes = 2048;             // as gemv_s8_avx2.cpp
constexpr int32_t kTileRows = 4;

inline __m256i ShiftMultiplier(uint8_t shift) { return _mm256_set1_epi16(static_cast<int16_t>(1 << shift)); }

// Activation step s (kPackK inputs) of row x [k], broadcast; full steps are one load.
inline int32_t LoadStep(const int8_t* x, int32_t k, int32_t s, bool full) {
  int32_t v = 0;
  if (full) {
    __builtin_memcpy(&v, x + kPackK * s, kPackK);
  } else {
    v = static_cast<int32_t>(LoadGroup(x, k, s));
  }
  return v;
}

template <int kBlocks>
void GemvBlocks(const PackedS8Weights& w, const GroupedS8Rows& x, int32_t block, int32_t n_begin, int32_t n_end,
                int32_t* y) {
  const int32_t steps = w.k_pad / kPackK;
  const int32_t full_groups = w.k / kActGroup;
  const int64_t block_stride = static_cast<int64_t>(w.k_pad) * kPackRows;
  const int8_t* base = w.data + block * block_stride;
  __m256i acc[kBlocks][2];
  for (int b = 0; b < kBlocks; ++b) acc[b][0] = acc[b][1] = _mm256_setzero_si256();
  auto Step = [&](int32_t s, __m256i scale, bool full) {
    const __m256i xg = _mm256_set1_epi32(LoadStep(x.q, w.k, s, full));
    const __m256i ax = _mm256_abs_epi8(xg);
    for (int b = 0; b < kBlocks; ++b) {
      const int8_t* p = base + b * block_stride + static_cast<int64_t>(s) * kBlockBytes;
      _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
      acc[b][0] = DotAdd(acc[b][0], ax, xg, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), scale);
      acc[b][1] = DotAdd(acc[b][1], ax, xg, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)), scale);
    }
  };
  int32_t g = 0;
  for (; g < full_groups; ++g) {
    const __m256i scale = ShiftMultiplier(x.shifts[g]);
    for (int32_t s = g * kGroupSteps; s < (g + 1) * kGroupSteps; ++s) Step(s, scale, true);
  }
  if (g * kGroupSteps < steps) {  // the partial last group, zero-padded past k
    const __m256i scale = ShiftMultiplier(x.shifts[g]);
    for (int32_t s = g * kGroupSteps; s < steps; ++s) Step(s, scale, kPackK * (s + 1) <= w.k);
  }
  for (int b = 0; b < kBlocks; ++b) {
    const int32_t row0 = (block + b) * kPackRows;
    StoreRows(y, row0, n_begin, n_end, acc[b][0]);
    StoreRows(y, row0 + 8, n_begin, n_end, acc[b][1]);
  }
}

// Accumulators are named registers c<row><half> (see gemm_s8_avx2.cpp); m<row>
// is the row's 2^shift multiplier for the current group. Unused rows compile away.
#define INGOT_AVX2_ROW(r)                                         \
  if constexpr ((r) < kRows) {                                    \
    const __m256i xg = _mm256_set1_epi32(LoadA(r, s, full));      \
    const __m256i ax = _mm256_abs_epi8(xg);                       \
    c##r##0 = DotAdd(c##r##0, ax, xg, w0, m##r);                  \
    c##r##1 = DotAdd(c##r##1, ax, xg, w1, m##r);                  \
  }

#define INGOT_AVX2_SCALES(r) \
  if constexpr ((r) < kRows) m##r = ShiftMultiplier(a.shifts[(r) * a.ld_shifts + g]);

#define INGOT_AVX2_STORE(r)                                       \
  if constexpr ((r) < kRows) {                                    \
    StoreRows(c + (r) * ldc, row0, n_begin, n_end, c##r##0);      \
    StoreRows(c + (r) * ldc, row0 + 8, n_begin, n_end, c##r##1);  \
  }

template <int kRows>
void GemmTile(const GroupedS8Rows& a, const PackedS8Weights& w, int32_t block, int32_t n_begin, int32_t n_end,
              int32_t* c, int64_t ldc) {
  const int32_t steps = w.k_pad / kPackK;
  const int32_t groups = ActGroupCount(w.k);
  const int8_t* base = w.data + block * static_cast<int64_t>(w.k_pad) * kPackRows;
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
          c31 = c00;
  __m256i m0 = c00, m1 = c00, m2 = c00, m3 = c00;
  auto LoadA = [&](int32_t r, int32_t s, bool full) { return LoadStep(a.q + r * a.ld_q, w.k, s, full); };
  auto Step = [&](int32_t s, bool full) {
    const int8_t* p = base + static_cast<int64_t>(s) * kBlockBytes;
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    INGOT_AVX2_ROW(0)
    INGOT_AVX2_ROW(1)
    INGOT_AVX2_ROW(2)
    INGOT_AVX2_ROW(3)
  };
  for (int32_t g = 0; g < groups; ++g) {
    INGOT_AVX2_SCALES(0)
    INGOT_AVX2_SCALES(1)
    INGOT_AVX2_SCALES(2)
    INGOT_AVX2_SCALES(3)
    if ((g + 1) * kActGroup <= w.k) {
      for (int32_t s = g * kGroupSteps; s < (g + 1) * kGroupSteps; ++s) Step(s, true);
    } else {  // the partial last group, zero-padded past k
      for (int32_t s = g * kGroupSteps; s < steps; ++s) Step(s, kPackK * (s + 1) <= w.k);
    }
  }
  const int32_t row0 = block * kPackRows;
  INGOT_AVX2_STORE(0)
  INGOT_AVX2_STORE(1)
  INGOT_AVX2_STORE(2)
  INGOT_AVX2_STORE(3)
}

#undef INGOT_AVX2_ROW
#undef INGOT_AVX2_SCALES
#undef INGOT_AVX2_STORE

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

}  // namespace ingot::kernels::avx2
