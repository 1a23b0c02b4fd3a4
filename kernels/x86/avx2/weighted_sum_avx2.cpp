// P.V: 32 columns at a time in four ymm accumulators (vpmulld wraps like ref);
// the last columns go through ref's loop.
#include <immintrin.h>

#include "kernels/ref/weighted_sum.h"
#include "kernels/x86/avx2/avx2.h"

namespace ingot::kernels::avx2 {

void WeightedSumS8(const int32_t* w, const int8_t* v, int64_t ldv, int32_t n, int32_t cols, int32_t* out) {
  int32_t c = 0;
  for (; c + 32 <= cols; c += 32) {
    __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int32_t p = 0; p < n; ++p) {
      const __m256i weight = _mm256_set1_epi32(w[p]);
      const int8_t* row = v + p * ldv + c;
      auto lanes = [&](int32_t offset) {
        return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + offset)));
      };
      acc0 = _mm256_add_epi32(acc0, _mm256_mullo_epi32(weight, lanes(0)));
      acc1 = _mm256_add_epi32(acc1, _mm256_mullo_epi32(weight, lanes(8)));
      acc2 = _mm256_add_epi32(acc2, _mm256_mullo_epi32(weight, lanes(16)));
      acc3 = _mm256_add_epi32(acc3, _mm256_mullo_epi32(weight, lanes(24)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c), acc0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c + 8), acc1);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c + 16), acc2);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c + 24), acc3);
  }
  if (c < cols) ref::WeightedSumS8(w, v + c, ldv, n, cols - c, out + c);
}

}  // namespace ingot::kernels::avx2
