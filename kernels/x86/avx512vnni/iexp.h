// The exponentials on 16 int32 lanes, bit-identical to ref::IExpQ16ToQ30 (the sigmoid
// activations) and ref::ExpCubicQ16ToQ30 (softmax). AVX-512 translation units only; internal
// linkage.
#pragma once

#include <immintrin.h>

#include "kernels/ref/iexp.h"
#include "kernels/x86/avx512vnni/lanes64.h"

namespace ingot::kernels::avx512vnni {
namespace {

// ref::ReduceExpInput on t in [-kExpInputBoundQ16, 0]: t = p - z ln2, p in (-ln2, 0] (Q16).
inline void ReduceExpInput(__m512i t, __m512i* z, __m512i* p) {
  const __m512i u = _mm512_sub_epi32(_mm512_setzero_si512(), t);  // [0, 2^21]
  const __m512i div_mul = _mm512_set1_epi64(ref::kExpDivLn2Mul);
  const __m512i ze = _mm512_srli_epi64(_mm512_mul_epu32(u, div_mul), ref::kExpDivLn2Shift);
  const __m512i zo = _mm512_srli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(u, 32), div_mul), ref::kExpDivLn2Shift);
  *z = Narrow(Wide{ze, zo});
  *p = _mm512_add_epi32(t, _mm512_mullo_epi32(*z, _mm512_set1_epi32(ref::kLn2Q16)));
}

// One Horner step in Q30 with p in Q16: round(v * p / 2^16) + c (|v| < 2^31, |p| < 2^16: fits).
inline __m512i HornerStep(__m512i v, __m512i p, int64_t c) {
  const Wide sixteen = WidenCounts(_mm512_set1_epi32(16));
  return _mm512_add_epi32(Narrow(RoundShift(MulWide(v, p), sixteen)), _mm512_set1_epi32(static_cast<int32_t>(c)));
}

// round(l / 2^z) for l >= 0 = (l >> z) + ((l >> (z - 1)) & 1); counts >= 32 give 0.
inline __m512i RoundShiftByZ(__m512i l, __m512i z) {
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i bit = _mm512_and_si512(_mm512_srlv_epi32(l, _mm512_sub_epi32(z, one)), one);
  return _mm512_add_epi32(_mm512_srlv_epi32(l, z), bit);
}

// ref::IExpQ16ToQ30 on t in [-kExpInputBoundQ16, 0].
inline __m512i IExp(__m512i t) {
  __m512i z, p;
  ReduceExpInput(t, &z, &p);
  const __m512i v = HornerStep(_mm512_set1_epi32(static_cast<int32_t>(ref::kExpPolyAQ30)), p, ref::kExpPolyBQ30);
  return RoundShiftByZ(HornerStep(v, p, ref::kOneQ30), z);
}

// ref::ExpCubicQ16ToQ30 on t in [-kExpInputBoundQ16, 0].
inline __m512i ExpCubic(__m512i t) {
  __m512i z, p;
  ReduceExpInput(t, &z, &p);
  __m512i v = _mm512_set1_epi32(static_cast<int32_t>(ref::kExpCubicQ30[0]));
  for (int k = 1; k < 4; ++k) v = HornerStep(v, p, ref::kExpCubicQ30[k]);
  return RoundShiftByZ(v, z);
}

}  // namespace
}  // namespace ingot::kernels::avx512vnni
