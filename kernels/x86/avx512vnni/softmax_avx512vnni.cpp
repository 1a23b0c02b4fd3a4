// Integer softmax, 16 lanes per step; bit-identical to ref::SoftmaxS32ToU16
// (same saturating difference, Q16 conversion, exponential and normalization).
#include <immintrin.h>

#include "kernels/ref/softmax.h"
#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/iexp.h"
#include "kernels/x86/avx512vnni/lanes64.h"

namespace ingot::kernels::avx512vnni {

namespace {

// ref::ScoreToQ16 of the saturating difference x - max, for a normalized s.
inline __m512i ScoresToQ16(__m512i x, __m512i max, Dyadic s) {
  __m512i d = _mm512_sub_epi32(x, max);
  // The true difference is <= 0; a positive result means it wrapped below -2^31.
  d = _mm512_mask_blend_epi32(_mm512_cmpgt_epi32_mask(d, _mm512_setzero_si512()), d, _mm512_set1_epi32(INT32_MIN));
  const __m512i bound = _mm512_set1_epi32(-ref::kExpInputBoundQ16);
  const int32_t shift = s.e - 16;
  if (s.m == 0) return _mm512_setzero_si512();
  if (shift <= 0) {
    return _mm512_maskz_mov_epi32(_mm512_cmpneq_epi32_mask(d, _mm512_setzero_si512()), bound);
  }
  const Wide n = WidenCounts(_mm512_set1_epi32(shift > 63 ? 63 : shift));
  const Wide t = Clamp(RoundShift(MulWide(d, _mm512_set1_epi32(s.m)), n), -ref::kExpInputBoundQ16, 0);
  return Narrow(t);
}

}  // namespace

void SoftmaxS32ToU16(int32_t* x, int32_t n, Dyadic x_scale, uint16_t* p) {
  if (n <= 0) return;
  const Dyadic s = DyadicNormalize(x_scale);
  __m512i vmax = _mm512_set1_epi32(INT32_MIN);
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 mask = FirstLanes(n - i);
    vmax = _mm512_mask_max_epi32(vmax, mask, vmax, _mm512_maskz_loadu_epi32(mask, x + i));
  }
  const __m512i max = _mm512_set1_epi32(_mm512_reduce_max_epi32(vmax));
  __m512i sum = _mm512_setzero_si512();  // 8 x uint64
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 mask = FirstLanes(n - i);
    const __m512i e = _mm512_maskz_mov_epi32(mask, ExpCubic(ScoresToQ16(_mm512_maskz_loadu_epi32(mask, x + i), max, s)));
    _mm512_mask_storeu_epi32(x + i, mask, e);
    sum = _mm512_add_epi64(sum, _mm512_cvtepu32_epi64(_mm512_castsi512_si256(e)));
    sum = _mm512_add_epi64(sum, _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(e, 1)));
  }
  const auto total = static_cast<uint64_t>(_mm512_reduce_add_epi64(sum));
  const Dyadic norm = DyadicFromRatio(65535, total);
  const __m512i nm = _mm512_set1_epi32(norm.m);
  const Wide ne = WidenCounts(_mm512_set1_epi32(norm.e < 0 ? 0 : (norm.e > 63 ? 63 : norm.e)));
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 mask = FirstLanes(n - i);
    const __m512i e = _mm512_maskz_loadu_epi32(mask, x + i);
    const __m512i q = Narrow(Clamp(RoundShift(MulWide(e, nm), ne), 0, 65535));
    _mm256_mask_storeu_epi16(p + i, mask, _mm512_cvtepi32_epi16(q));
  }
}

}  // namespace ingot::kernels::avx512vnni
