// Per-row dynamic quantization, 16 lanes per step; bit-identical to
// ref::QuantizeRowS32ToS8: max |x| (as unsigned, so |INT32_MIN| = 2^31), the two
// dyadics computed once per row (scalar), then q = clamp(round(x * inv)).
#include <immintrin.h>

#include "kernels/ref/quantize_row.h"
#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/lanes64.h"

namespace ingot::kernels::avx512vnni {

Dyadic QuantizeRowS32ToS8(const int32_t* x, int32_t n, int8_t* q) {
  const uint32_t a = MaxMagnitude(x, n);
  if (a == 0) {
    for (int32_t i = 0; i < n; i += 16) _mm_mask_storeu_epi8(q + i, FirstLanes(n - i), _mm_setzero_si128());
    return DyadicOne();
  }
  const Dyadic inv = ref::QuantizeInverseStep(a);
  const __m512i m = _mm512_set1_epi32(inv.m);
  const Wide shift = WidenCounts(_mm512_set1_epi32(inv.e < 0 ? 0 : (inv.e > 63 ? 63 : inv.e)));
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 mask = FirstLanes(n - i);
    const Wide v = Clamp(RoundShift(MulWide(_mm512_maskz_loadu_epi32(mask, x + i), m), shift), -kS8Max, kS8Max);
    _mm_mask_storeu_epi8(q + i, mask, _mm512_cvtepi32_epi8(Narrow(v)));
  }
  return ref::QuantizeStep(a);
}

}  // namespace ingot::kernels::avx512vnni
