// P.V on the V cache interleaved by 4 rows, with vpmaddwd: 4 columns x 4 rows sign-extended to
// 16 int16; each weight (< 2^16) splits into its high and low bytes, so every pair product fits
// int32 exactly. Each column collects two partial sums (rows 0-1, rows 2-3), added at the end;
// acc = (hi << 8) + lo, modulo 2^32 like ref.
#include <immintrin.h>

#include "kernels/ref/weighted_sum.h"
#include "kernels/x86/avx2/avx2.h"

namespace ingot::kernels::avx2 {

void WeightedSumS8(const int32_t* w, const int8_t* v, int32_t n, int32_t cols, int32_t* out) {
  if (cols % 16 != 0) {
    ref::WeightedSumS8(w, v, n, cols, out);
    return;
  }
  const int32_t groups = (n + 3) / 4;
  for (int32_t c0 = 0; c0 < cols; c0 += 16) {
    __m256i hi[4], lo[4];  // columns c0 + 4q .. c0 + 4q + 3, two partial sums each
    for (int32_t q = 0; q < 4; ++q) hi[q] = lo[q] = _mm256_setzero_si256();
    for (int32_t g = 0; g < groups; ++g) {
      int16_t h[4], l[4];
      for (int32_t j = 0; j < 4; ++j) {
        const int32_t p = 4 * g + j;
        const auto weight = p < n ? static_cast<uint32_t>(w[p]) : 0u;
        h[j] = static_cast<int16_t>(weight >> 8);
        l[j] = static_cast<int16_t>(weight & 0xFFu);
      }
      const __m256i hw = _mm256_setr_epi16(h[0], h[1], h[2], h[3], h[0], h[1], h[2], h[3], h[0], h[1], h[2], h[3], h[0], h[1], h[2], h[3]);
      const __m256i lw = _mm256_setr_epi16(l[0], l[1], l[2], l[3], l[0], l[1], l[2], l[3], l[0], l[1], l[2], l[3], l[0], l[1], l[2], l[3]);
      const int8_t* group = v + (static_cast<int64_t>(g) * cols + c0) * 4;
      for (int32_t q = 0; q < 4; ++q) {
        const __m256i rows = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group + 16 * q)));
        hi[q] = _mm256_add_epi32(hi[q], _mm256_madd_epi16(rows, hw));
        lo[q] = _mm256_add_epi32(lo[q], _mm256_madd_epi16(rows, lw));
      }
    }
    for (int32_t q = 0; q < 4; ++q) {
      alignas(32) uint32_t hs[8], ls[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(hs), hi[q]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(ls), lo[q]);
      for (int32_t c = 0; c < 4; ++c) {
        const uint32_t high = hs[2 * c] + hs[2 * c + 1];
        const uint32_t low = ls[2 * c] + ls[2 * c + 1];
        out[c0 + 4 * q + c] = static_cast<int32_t>((high << 8) + low);
      }
    }
  }
}

}  // namespace ingot::kernels::avx2
