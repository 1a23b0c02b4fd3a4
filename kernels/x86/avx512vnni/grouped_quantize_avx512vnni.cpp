// Grouped per-row quantization (kernels/grouped_s8.h), 16 lanes per step;
// bit-identical to ref::QuantizeRowS32ToS8Grouped: the row's max and inverse
// step as in quantize_row_avx512vnni.cpp, then per group of 32 its own max, its
// sub-scale f (scalar) and q = clamp(round(x * inv * 2^f)).
#include <immintrin.h>

#include "kernels/ref/grouped_s8.h"
#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/lanes64.h"

namespace ingot::kernels::avx512vnni {

namespace {

static_assert(kActGroup == 32, "a group is two vectors of 16 lanes");

// 16 quantized lanes of x * m * 2^-e, rounded and clamped to [-127, 127].
__m512i QuantizeLanes(__m512i x, __m512i m, Wide e) {
  return Narrow(Clamp(RoundShift(MulWide(x, m), e), -kS8Max, kS8Max));
}

}  // namespace

Dyadic QuantizeRowS32ToS8Grouped(const int32_t* x, int32_t n, int8_t* q, uint8_t* shifts, int32_t* sum) {
  const int32_t limit = GroupShiftLimit(n);
  const uint32_t a = MaxMagnitude(x, n);
  *sum = 0;
  if (a == 0) {
    for (int32_t i = 0; i < n; i += 16) _mm_mask_storeu_epi8(q + i, FirstLanes(n - i), _mm_setzero_si128());
    for (int32_t g = 0; g < ActGroupCount(n); ++g) shifts[g] = static_cast<uint8_t>(limit);
    return ref::GroupedStep(a, limit);
  }
  const Dyadic inv = ref::QuantizeInverseStep(a);
  const __m512i m = _mm512_set1_epi32(inv.m);
  __m512i sums = _mm512_setzero_si512();
  for (int32_t g = 0; g < ActGroupCount(n); ++g) {
    const int32_t i = g * kActGroup;
    const __mmask16 mask0 = FirstLanes(n - i), mask1 = FirstLanes(n - i - 16);
    const __m512i v0 = _mm512_maskz_loadu_epi32(mask0, x + i);
    const __m512i v1 = _mm512_maskz_loadu_epi32(mask1, x + i + 16);
    const auto a_g = static_cast<uint32_t>(
        _mm512_reduce_max_epu32(_mm512_max_epu32(_mm512_abs_epi32(v0), _mm512_abs_epi32(v1))));
    const int32_t f = ref::GroupFineBits(a_g, a, limit);
    shifts[g] = static_cast<uint8_t>(limit - f);
    const int32_t e = inv.e - f < 0 ? 0 : (inv.e - f > 63 ? 63 : inv.e - f);
    const Wide count = WidenCounts(_mm512_set1_epi32(e));
    const __m512i q0 = QuantizeLanes(v0, m, count), q1 = QuantizeLanes(v1, m, count);
    _mm_mask_storeu_epi8(q + i, mask0, _mm512_cvtepi32_epi8(q0));
    _mm_mask_storeu_epi8(q + i + 16, mask1, _mm512_cvtepi32_epi8(q1));
    sums = _mm512_add_epi32(sums, _mm512_sll_epi32(_mm512_add_epi32(q0, q1), _mm_cvtsi32_si128(limit - f)));
  }
  *sum = _mm512_reduce_add_epi32(sums);
  return ref::GroupedStep(a, limit);
}

}  // namespace ingot::kernels::avx512vnni
