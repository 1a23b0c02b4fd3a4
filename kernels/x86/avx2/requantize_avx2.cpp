// Requantization, 8 outputs per step; bit-identical to ref::RequantizeS32ToS32.
// Per lane: multiplier as in ref::RequantMultiplier (the combined mantissa is
// (m_r * m_c + 2^30) >> 31), exponent clamped to [0, 63], one rounding shift
// of the 64-bit product |acc * m| < 2^62, clamp. Tails go through the same
// vector code on a padded copy.
#include <immintrin.h>

#include "kernels/ref/requantize.h"
#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd_avx2.h"

namespace ingot::kernels::avx2 {

namespace {

// 8 Dyadic structs (AoS) -> mantissa and exponent vectors.
inline void LoadDyadics(const Dyadic* d, __m256i* m, __m256i* e) {
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const __m256i p0 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(d)), idx);
  const __m256i p1 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + 4)), idx);
  *m = _mm256_permute2x128_si256(p0, p1, 0x20);
  *e = _mm256_permute2x128_si256(p0, p1, 0x31);
}

// The 8 results of acc[0..8) for columns whose multipliers start at col.
inline __m256i Requant8(const int32_t* acc, const Dyadic* row, const Dyadic* col) {
  __m256i m, e;
  if (col != nullptr) {
    LoadDyadics(col, &m, &e);
    if (row != nullptr) {
      const __m256i mr = _mm256_set1_epi32(row->m);
      const __m256i round = _mm256_set1_epi64x(int64_t{1} << 30);
      const __m256i m_odd = _mm256_srli_epi64(m, 32);
      const __m256i pe = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epu32(m, mr), round), 31);
      const __m256i po = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epu32(m_odd, mr), round), 31);
      m = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
      e = _mm256_add_epi32(e, _mm256_set1_epi32(row->e - 31));
    }
  } else if (row != nullptr) {
    m = _mm256_set1_epi32(row->m);
    e = _mm256_set1_epi32(row->e);
  } else {
    m = _mm256_set1_epi32(kDyadicOne);
    e = _mm256_set1_epi32(30);
  }
  e = _mm256_min_epi32(_mm256_max_epi32(e, _mm256_setzero_si256()), _mm256_set1_epi32(63));
  const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc));
  return Narrow(Clamp(RoundShift(MulWide(x, m), WidenCounts(e)), INT32_MIN, INT32_MAX));
}

}  // namespace

void RequantizeS32ToS32(const int32_t* acc, int64_t ld_acc, int32_t rows, int32_t cols,
                        const Dyadic* row_scale, const Dyadic* col_scale, int32_t* out, int64_t ld_out) {
  for (int32_t r = 0; r < rows; ++r) {
    const int32_t* a = acc + r * ld_acc;
    int32_t* o = out + r * ld_out;
    const Dyadic* row = row_scale == nullptr ? nullptr : row_scale + r;
    int32_t c = 0;
    for (; c + 8 <= cols; c += 8) {
      const __m256i v = Requant8(a + c, row, col_scale == nullptr ? nullptr : col_scale + c);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + c), v);
    }
    if (c < cols) {
      alignas(32) int32_t acc_tail[8] = {0};
      Dyadic col_tail[8];
      for (int32_t i = 0; c + i < cols; ++i) {
        acc_tail[i] = a[c + i];
        if (col_scale != nullptr) col_tail[i] = col_scale[c + i];
      }
      alignas(32) int32_t lanes[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes),
                         Requant8(acc_tail, row, col_scale == nullptr ? nullptr : col_tail));
      __builtin_memcpy(o + c, lanes, static_cast<size_t>(cols - c) * 4);
    }
  }
}

}  // namespace ingot::kernels::avx2
