// Integer SiLU and tanh-form GELU, 16 lanes per step; bit-identical to ref::SiluS32 and
// ref::GeluTanhS32 (both through the vectorized i-exp sigmoid, sigmoid.h).
#include <immintrin.h>

#include "kernels/ref/gelu.h"
#include "kernels/ref/sigmoid.h"
#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/lanes64.h"
#include "kernels/x86/avx512vnni/sigmoid.h"

namespace ingot::kernels::avx512vnni {

void SiluS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y) {
  const int32_t shift = x_scale.e - 16;
  if (shift < 0) {  // a scale above 2^-16 takes ref's saturating path (the engine uses 2^-16)
    ref::SiluS32(x, n, x_scale, y);
    return;
  }
  const Wide to_q16 = WidenCounts(_mm512_set1_epi32(shift > 63 ? 63 : shift));
  const Wide q30 = WidenCounts(_mm512_set1_epi32(30));
  const __m512i m = _mm512_set1_epi32(x_scale.m);
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 mask = FirstLanes(n - i);
    const __m512i xv = _mm512_maskz_loadu_epi32(mask, x + i);
    const __m512i t = Narrow(Clamp(RoundShift(MulWide(xv, m), to_q16), -ref::kSigmoidInputBoundQ16, ref::kSigmoidInputBoundQ16));
    const __m512i out = Narrow(RoundShift(MulWide(xv, Sigmoid(t)), q30));  // |out| <= |x|
    _mm512_mask_storeu_epi32(y + i, mask, out);
  }
}

void GeluTanhS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y) {
  const int32_t shift = x_scale.e - 16;
  if (shift < 0) {  // a scale above 2^-16 takes ref's saturating path (the engine uses 2^-16)
    ref::GeluTanhS32(x, n, x_scale, y);
    return;
  }
  const Wide to_q16 = WidenCounts(_mm512_set1_epi32(shift > 63 ? 63 : shift));
  const Wide q16 = WidenCounts(_mm512_set1_epi32(16));
  const Wide q30 = WidenCounts(_mm512_set1_epi32(30));
  const Wide q31 = WidenCounts(_mm512_set1_epi32(31));
  const __m512i m = _mm512_set1_epi32(x_scale.m);
  const __m512i cubic = _mm512_set1_epi32(static_cast<int32_t>(ref::kGeluCubicQ31));
  const __m512i two_sqrt2_pi = _mm512_set1_epi32(static_cast<int32_t>(ref::kTwoSqrt2OverPiQ30));
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 mask = FirstLanes(n - i);
    const __m512i xv = _mm512_maskz_loadu_epi32(mask, x + i);
    const __m512i t = Narrow(Clamp(RoundShift(MulWide(xv, m), to_q16), -ref::kGeluTanhArgBoundQ16, ref::kGeluTanhArgBoundQ16));
    const __m512i t2 = Narrow(RoundShift(MulWide(t, t), q16));    // <= 2^22
    const __m512i t3 = Narrow(RoundShift(MulWide(t2, t), q16));   // |t3| <= 2^25
    const __m512i inner = _mm512_add_epi32(t, Narrow(RoundShift(MulWide(t3, cubic), q31)));  // < 2^21
    const __m512i v = Narrow(Clamp(RoundShift(MulWide(inner, two_sqrt2_pi), q30), -ref::kSigmoidInputBoundQ16,
                                   ref::kSigmoidInputBoundQ16));  // ref's sigmoid clamps the same way
    const __m512i out = Narrow(RoundShift(MulWide(xv, Sigmoid(v)), q30));  // |out| <= |x|
    _mm512_mask_storeu_epi32(y + i, mask, out);
  }
}

}  // namespace ingot::kernels::avx512vnni
