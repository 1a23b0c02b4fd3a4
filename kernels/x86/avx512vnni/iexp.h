// i-exp on 16 int32 lanes, bit-identical to ref::IExpQ16ToQ30 (AVX-512 translation units only;
// internal linkage). Shared by softmax and the sigmoid activations.
#pragma once

#include <immintrin.h>

#include "kernels/ref/iexp.h"
#include "kernels/x86/avx512vnni/lanes64.h"

namespace ingot::kernels::avx512vnni {
namespace {

// ref::IExpQ16ToQ30 on t in [-kExpInputBoundQ16, 0].
inline __m512i IExp(__m512i t) {
  const __m512i u = _mm512_sub_epi32(_mm512_setzero_si512(), t);  // [0, 2^21]
  const __m512i div_mul = _mm512_set1_epi64(ref::kExpDivLn2Mul);
  const __m512i ze = _mm512_srli_epi64(_mm512_mul_epu32(u, div_mul), ref::kExpDivLn2Shift);
  const __m512i zo = _mm512_srli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(u, 32), div_mul), ref::kExpDivLn2Shift);
  const __m512i z = Narrow(Wide{ze, zo});
  const __m512i p = _mm512_add_epi32(t, _mm512_mullo_epi32(z, _mm512_set1_epi32(ref::kLn2Q16)));
  const Wide sixteen = WidenCounts(_mm512_set1_epi32(16));
  // v = round(a * p / 2^16) + b; l = round(v * p / 2^16) + 2^30 (all fit int32).
  const __m512i a = _mm512_set1_epi32(static_cast<int32_t>(ref::kExpPolyAQ30));
  const __m512i a_p = Narrow(RoundShift(MulWide(a, p), sixteen));
  const __m512i v = _mm512_add_epi32(a_p, _mm512_set1_epi32(static_cast<int32_t>(ref::kExpPolyBQ30)));
  const __m512i l = _mm512_add_epi32(Narrow(RoundShift(MulWide(v, p), sixteen)), _mm512_set1_epi32(1 << 30));
  // round(l / 2^z) = (l >> z) + ((l >> (z - 1)) & 1); counts >= 32 give 0.
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i bit = _mm512_and_si512(_mm512_srlv_epi32(l, _mm512_sub_epi32(z, one)), one);
  return _mm512_add_epi32(_mm512_srlv_epi32(l, z), bit);
}

}  // namespace
}  // namespace ingot::kernels::avx512vnni
