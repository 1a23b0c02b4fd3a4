// Grouped per-row quantization (kernels/grouped_s8.h), 8 lanes per step;
// bit-identical to ref::QuantizeRowS32ToS8Grouped: the row's max |x| as in
// quantize_row_avx2.cpp, then per group of kActGroup its own max, its shift
// (scalar), and the vector multiply by the row's inverse step with the exponent
// lowered by f. Sum bound: |sum| <= 127 * n * 2^kMaxGroupShift < 2^31.
#include <immintrin.h>

#include "kernels/ref/grouped_s8.h"
#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd_avx2.h"

namespace ingot::kernels::avx2 {

namespace {

constexpr int32_t kGroupVectors = kActGroup / 8;  // 4

// Lanes of x [begin, begin + 8) clipped to n, zero past it.
inline __m256i LoadLanes(const int32_t* x, int32_t begin, int32_t n) {
  return begin + 8 <= n ? Load8(x + begin) : LoadTail(x + begin, n > begin ? n - begin : 0);
}

inline int32_t HorizontalSum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

}  // namespace

Dyadic QuantizeRowS32ToS8Grouped(const int32_t* x, int32_t n, int8_t* q, uint8_t* shifts, int32_t* sum) {
  const int32_t limit = GroupShiftLimit(n);
  const int32_t groups = ActGroupCount(n);
  const uint32_t a = MaxMagnitude(x, n);
  *sum = 0;
  if (a == 0) {
    for (int32_t j = 0; j < n; ++j) q[j] = 0;
    for (int32_t g = 0; g < groups; ++g) shifts[g] = static_cast<uint8_t>(limit);
    return ref::GroupedStep(a, limit);
  }
  const Dyadic inv = ref::QuantizeInverseStep(a);
  const __m256i m = _mm256_set1_epi32(inv.m);
  Wide shift_of_f[kMaxGroupShift + 1];  // the multiply's right shift for each f (inv.e - f, clamped)
  for (int32_t f = 0; f <= limit; ++f) {
    const int32_t e = inv.e - f;
    shift_of_f[f] = WidenCounts(_mm256_set1_epi32(e < 0 ? 0 : (e > 63 ? 63 : e)));
  }
  __m256i total = _mm256_setzero_si256();  // lanes of sum_i q[i] << shifts[i / kActGroup]
  for (int32_t g = 0; g < groups; ++g) {
    const int32_t begin = g * kActGroup;
    __m256i v[kGroupVectors];
    __m256i group_max = _mm256_setzero_si256();
    for (int32_t j = 0; j < kGroupVectors; ++j) {
      v[j] = LoadLanes(x, begin + 8 * j, n);
      group_max = _mm256_max_epu32(group_max, _mm256_abs_epi32(v[j]));
    }
    const uint32_t a_g = HorizontalMaxU32(group_max);
    const int32_t f = ref::GroupFineBits(a_g, a, limit);
    shifts[g] = static_cast<uint8_t>(limit - f);
    __m256i group_sum = _mm256_setzero_si256();
    for (int32_t j = 0; j < kGroupVectors && begin + 8 * j < n; ++j) {
      const int32_t count = n - begin - 8 * j < 8 ? n - begin - 8 * j : 8;
      const __m256i qv = Narrow(Clamp(RoundShift(MulWide(v[j], m), shift_of_f[f]), -kS8Max, kS8Max));
      group_sum = _mm256_add_epi32(group_sum, qv);  // lanes past n are zero
      const uint64_t bytes = PackBytes(qv, false);
      __builtin_memcpy(q + begin + 8 * j, &bytes, static_cast<size_t>(count));
    }
    total = _mm256_add_epi32(total, _mm256_sll_epi32(group_sum, _mm_cvtsi32_si128(limit - f)));
  }
  *sum = HorizontalSum(total);
  return ref::GroupedStep(a, limit);
}

}  // namespace ingot::kernels::avx2
