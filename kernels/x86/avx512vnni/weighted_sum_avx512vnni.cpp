// P.V: 64 columns at a time in four zmm accumulators; per position the weight
// is broadcast and multiplied with the sign-extended row (vpmulld wraps like ref).
#include <immintrin.h>

#include "kernels/x86/avx512vnni/avx512vnni.h"

namespace ingot::kernels::avx512vnni {

void WeightedSumS8(const int32_t* w, const int8_t* v, int64_t ldv, int32_t n, int32_t cols, int32_t* out) {
  int32_t c = 0;
  for (; c + 64 <= cols; c += 64) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int32_t p = 0; p < n; ++p) {
      const __m512i weight = _mm512_set1_epi32(w[p]);
      const int8_t* row = v + p * ldv + c;
      acc0 = _mm512_add_epi32(acc0, _mm512_mullo_epi32(weight, _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row)))));
      acc1 = _mm512_add_epi32(acc1, _mm512_mullo_epi32(weight, _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16)))));
      acc2 = _mm512_add_epi32(acc2, _mm512_mullo_epi32(weight, _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 32)))));
      acc3 = _mm512_add_epi32(acc3, _mm512_mullo_epi32(weight, _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 48)))));
    }
    _mm512_storeu_si512(out + c, acc0);
    _mm512_storeu_si512(out + c + 16, acc1);
    _mm512_storeu_si512(out + c + 32, acc2);
    _mm512_storeu_si512(out + c + 48, acc3);
  }
  for (; c < cols; c += 16) {
    const __mmask16 mask = cols - c >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << (cols - c)) - 1u);
    __m512i acc = _mm512_setzero_si512();
    for (int32_t p = 0; p < n; ++p) {
      const __m128i row = _mm_maskz_loadu_epi8(mask, v + p * ldv + c);
      acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(_mm512_set1_epi32(w[p]), _mm512_cvtepi8_epi32(row)));
    }
    _mm512_mask_storeu_epi32(out + c, mask, acc);
  }
}

}  // namespace ingot::kernels::avx512vnni
