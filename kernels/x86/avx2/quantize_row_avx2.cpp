// Per-row dynamic quantization, 8 lanes per step; bit-identical to
// ref::QuantizeRowS32ToS8 (max |x| as unsigned, scalar dyadics, vector multiply).
#include <immintrin.h>

#include "kernels/ref/quantize_row.h"
#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd_avx2.h"

namespace ingot::kernels::avx2 {

Dyadic QuantizeRowS32ToS8(const int32_t* x, int32_t n, int8_t* q) {
  const uint32_t a = MaxMagnitude(x, n);
  if (a == 0) {
    for (int32_t j = 0; j < n; ++j) q[j] = 0;
    return DyadicOne();
  }
  const Dyadic inv = ref::QuantizeInverseStep(a);
  const __m256i m = _mm256_set1_epi32(inv.m);
  const Wide shift = WidenCounts(_mm256_set1_epi32(inv.e < 0 ? 0 : (inv.e > 63 ? 63 : inv.e)));
  for (int32_t i = 0; i < n; i += 8) {
    const int32_t count = n - i < 8 ? n - i : 8;
    const __m256i v = count == 8 ? Load8(x + i) : LoadTail(x + i, count);
    const uint64_t bytes = PackBytes(Narrow(Clamp(RoundShift(MulWide(v, m), shift), -kS8Max, kS8Max)), false);
    __builtin_memcpy(q + i, &bytes, static_cast<size_t>(count));
  }
  return ref::QuantizeStep(a);
}

}  // namespace ingot::kernels::avx2
