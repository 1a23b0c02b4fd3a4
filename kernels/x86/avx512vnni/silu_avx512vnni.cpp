// Integer SiLU and tanh-form GELU, 16 lanes per step; bit-identical to ref::SiluS32 and
// ref::GeluTanhS32 (both through the vectorized i-exp sigmoid, sigmoid.h).
#include <immintrin.h>

#include "kernels/ref/gelu.h"
#include "kernels/ref/sigmoid.h"
#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/lanes64.h"
#include "kernels/x86/avx512vnni/sigmoid.h"

namespace ingot::kernels::avx512vnni {

namespace {

// y = x * sigmoid(arg(t)), t = x in Q16 clamped to +-bound: the frame SiLU and the tanh GELU
// share. False (nothing written) for a scale above 2^-16, which takes ref's saturating path
// (the engine uses 2^-16).
template <typename Arg>
bool GatedBySigmoid(const int32_t* x, int32_t n, Dyadic x_scale, int32_t bound, int32_t* y, Arg arg) {
  const int32_t shift = x_scale.e - 16;
  if (shift < 0) return false;
  const Wide to_q16 = WidenCounts(_mm512_set1_epi32(shift > 63 ? 63 : shift));
  const Wide q30 = WidenCounts(_mm512_set1_epi32(30));
  const __m512i m = _mm512_set1_epi32(x_scale.m);
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 mask = FirstLanes(n - i);
    const __m512i xv = _mm512_maskz_loadu_epi32(mask, x + i);
    const __m512i t = Narrow(Clamp(RoundShift(MulWide(xv, m), to_q16), -bound, bound));
    const __m512i out = Narrow(RoundShift(MulWide(xv, Sigmoid(arg(t))), q30));  // |out| <= |x|
    _mm512_mask_storeu_epi32(y + i, mask, out);
  }
  return true;
}

}  // namespace

void SiluS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y) {
  if (!GatedBySigmoid(x, n, x_scale, ref::kSigmoidInputBoundQ16, y, [](__m512i t) { return t; })) {
    ref::SiluS32(x, n, x_scale, y);
  }
}

void GeluTanhS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y) {
  const Wide q16 = WidenCounts(_mm512_set1_epi32(16));
  const Wide q30 = WidenCounts(_mm512_set1_epi32(30));
  const Wide q31 = WidenCounts(_mm512_set1_epi32(31));
  const __m512i cubic = _mm512_set1_epi32(static_cast<int32_t>(ref::kGeluCubicQ31));
  const __m512i two_sqrt2_pi = _mm512_set1_epi32(static_cast<int32_t>(ref::kTwoSqrt2OverPiQ30));
  // The sigmoid's argument 2 sqrt(2/pi) (t + 0.044715 t^3), as ref::GeluTanhS32 computes it.
  const auto arg = [&](__m512i t) {
    const __m512i t2 = Narrow(RoundShift(MulWide(t, t), q16));    // <= 2^22
    const __m512i t3 = Narrow(RoundShift(MulWide(t2, t), q16));   // |t3| <= 2^25
    const __m512i inner = _mm512_add_epi32(t, Narrow(RoundShift(MulWide(t3, cubic), q31)));  // < 2^21
    return Narrow(Clamp(RoundShift(MulWide(inner, two_sqrt2_pi), q30), -ref::kSigmoidInputBoundQ16,
                        ref::kSigmoidInputBoundQ16));  // ref's sigmoid clamps the same way
  };
  if (!GatedBySigmoid(x, n, x_scale, ref::kGeluTanhArgBoundQ16, y, arg)) ref::GeluTanhS32(x, n, x_scale, y);
}

}  // namespace ingot::kernels::avx512vnni
