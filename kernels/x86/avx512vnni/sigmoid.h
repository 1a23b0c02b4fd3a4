// The i-exp sigmoid on 16 int32 lanes, bit-identical to ref::SigmoidQ16ToQ30 (AVX-512
// translation units only; internal linkage). Its exact division round(2^60 / den) becomes a
// reciprocal by Newton steps plus an exact remainder correction. Used by SiLU and the tanh GELU.
#pragma once

#include <immintrin.h>

#include "kernels/ref/sigmoid.h"
#include "kernels/x86/avx512vnni/iexp.h"
#include "kernels/x86/avx512vnni/lanes64.h"

namespace ingot::kernels::avx512vnni {
namespace {

// floor((2^61 + den) / (2 den)) = round(2^60 / den), ties up, per uint64 lane, den in (2^30, 2^31].
inline __m512i RoundedQuotient(__m512i den) {
  // y ~ 2^62 / den: the minimax line 48/17 - 32/17 x on x = den / 2^31 in (1/2, 1] (relative error
  // <= 1/17), then Newton steps y += y (2^62 - den y) / 2^62, each squaring the error.
  __m512i y = _mm512_sub_epi64(_mm512_set1_epi64(6063250303),  // round(48/17 * 2^31)
                               _mm512_srli_epi64(_mm512_mul_epu32(den, _mm512_set1_epi64(2021083443)), 30));  // 32/17 * 2^30
  const __m512i two62 = _mm512_set1_epi64(int64_t{1} << 62);
  for (int step = 0; step < 3; ++step) {
    // y < 2^32 and den <= 2^31, so den * y < 2^63; |2^62 - den y| / 2^30 < 2^28 fits the signed multiply.
    const __m512i e = _mm512_srai_epi64(_mm512_sub_epi64(two62, _mm512_mul_epu32(den, y)), 30);
    y = _mm512_add_epi64(y, _mm512_srai_epi64(_mm512_mul_epi32(_mm512_srli_epi64(y, 1), e), 31));
  }
  // q is now within a few units of 2^60 / den: fix it from the remainder r = N - q D, which must
  // end in [0, D) for N = 2^61 + den, D = 2 den (q < 2^31 and den <= 2^31: q den < 2^62).
  __m512i q = _mm512_srli_epi64(y, 2);
  const __m512i d2 = _mm512_add_epi64(den, den);
  __m512i r = _mm512_sub_epi64(_mm512_add_epi64(_mm512_set1_epi64(int64_t{1} << 61), den),
                               _mm512_slli_epi64(_mm512_mul_epu32(q, den), 1));
  const __m512i one = _mm512_set1_epi64(1);
  for (int step = 0; step < 3; ++step) {
    const __mmask8 low = _mm512_cmplt_epi64_mask(r, _mm512_setzero_si512());
    q = _mm512_mask_sub_epi64(q, low, q, one);
    r = _mm512_mask_add_epi64(r, low, r, d2);
    const __mmask8 high = _mm512_cmpge_epi64_mask(r, d2);
    q = _mm512_mask_add_epi64(q, high, q, one);
    r = _mm512_mask_sub_epi64(r, high, r, d2);
  }
  return q;
}

// ref::SigmoidQ16ToQ30 on t already clamped to +-kSigmoidInputBoundQ16.
inline __m512i Sigmoid(__m512i t) {
  const __m512i e = IExp(_mm512_sub_epi32(_mm512_setzero_si512(), _mm512_abs_epi32(t)));  // (0, 2^30]
  const __m512i den = _mm512_add_epi32(e, _mm512_set1_epi32(1 << 30));  // (2^30, 2^31] as uint32
  const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
  const __m512i s = Narrow(Wide{RoundedQuotient(_mm512_and_si512(den, low32)), RoundedQuotient(_mm512_srli_epi64(den, 32))});
  const __mmask16 negative = _mm512_cmplt_epi32_mask(t, _mm512_setzero_si512());
  return _mm512_mask_sub_epi32(s, negative, _mm512_set1_epi32(1 << 30), s);
}

}  // namespace
}  // namespace ingot::kernels::avx512vnni
