// Integer softmax, 8 lanes per step; bit-identical to ref::SoftmaxS32ToU16.
#include <immintrin.h>

#include "kernels/ref/softmax.h"
#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd_avx2.h"

namespace ingot::kernels::avx2 {

namespace {

// ref::ExpCubicQ16ToQ30 on t in [-kExpInputBoundQ16, 0].
inline __m256i ExpCubic(__m256i t) {
  const __m256i u = _mm256_sub_epi32(_mm256_setzero_si256(), t);  // [0, 2^21]
  const __m256i div_mul = _mm256_set1_epi64x(ref::kExpDivLn2Mul);
  const __m256i ze = _mm256_srli_epi64(_mm256_mul_epu32(u, div_mul), ref::kExpDivLn2Shift);
  const __m256i zo = _mm256_srli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(u, 32), div_mul), ref::kExpDivLn2Shift);
  const __m256i z = Narrow(Wide{ze, zo});
  const __m256i p = _mm256_add_epi32(t, _mm256_mullo_epi32(z, _mm256_set1_epi32(ref::kLn2Q16)));
  const Wide sixteen = WidenCounts(_mm256_set1_epi32(16));
  __m256i v = _mm256_set1_epi32(static_cast<int32_t>(ref::kExpCubicQ30[0]));
  for (int k = 1; k < 4; ++k) {  // Horner in Q30: round(v * p / 2^16) + c
    v = _mm256_add_epi32(Narrow(RoundShift(MulWide(v, p), sixteen)), _mm256_set1_epi32(static_cast<int32_t>(ref::kExpCubicQ30[k])));
  }
  // round(v / 2^z) = (v >> z) + ((v >> (z - 1)) & 1); counts >= 32 give 0.
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i bit = _mm256_and_si256(_mm256_srlv_epi32(v, _mm256_sub_epi32(z, one)), one);
  return _mm256_add_epi32(_mm256_srlv_epi32(v, z), bit);
}

inline __m256i ScoresToQ16(__m256i x, __m256i max, Dyadic s) {
  __m256i d = _mm256_sub_epi32(x, max);
  d = _mm256_blendv_epi8(d, _mm256_set1_epi32(INT32_MIN), _mm256_cmpgt_epi32(d, _mm256_setzero_si256()));
  if (s.m == 0) return _mm256_setzero_si256();
  const int32_t shift = s.e - 16;
  if (shift <= 0) {
    const __m256i is_zero = _mm256_cmpeq_epi32(d, _mm256_setzero_si256());
    return _mm256_andnot_si256(is_zero, _mm256_set1_epi32(-ref::kExpInputBoundQ16));
  }
  const Wide n = WidenCounts(_mm256_set1_epi32(shift > 63 ? 63 : shift));
  return Narrow(Clamp(RoundShift(MulWide(d, _mm256_set1_epi32(s.m)), n), -ref::kExpInputBoundQ16, 0));
}

inline __m256i Load8(const int32_t* x, int32_t count, int32_t fill) {
  if (count >= 8) return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
  alignas(32) int32_t tmp[8];
  for (int32_t i = 0; i < 8; ++i) tmp[i] = i < count ? x[i] : fill;
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(tmp));
}

}  // namespace

void SoftmaxS32ToU16(int32_t* x, int32_t n, Dyadic x_scale, uint16_t* p) {
  if (n <= 0) return;
  const Dyadic s = DyadicNormalize(x_scale);
  __m256i vmax = _mm256_set1_epi32(INT32_MIN);
  for (int32_t i = 0; i < n; i += 8) vmax = _mm256_max_epi32(vmax, Load8(x + i, n - i, INT32_MIN));
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), vmax);
  int32_t max_value = lanes[0];
  for (int32_t v : lanes) max_value = v > max_value ? v : max_value;
  const __m256i max = _mm256_set1_epi32(max_value);
  __m256i sum = _mm256_setzero_si256();  // 4 x uint64
  for (int32_t i = 0; i < n; i += 8) {
    const int32_t count = n - i < 8 ? n - i : 8;
    __m256i e = ExpCubic(ScoresToQ16(Load8(x + i, count, max_value), max, s));
    if (count < 8) {  // padding lanes hold the max: drop them
      const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
      e = _mm256_and_si256(e, _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lane));
      alignas(32) int32_t tail[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tail), e);
      __builtin_memcpy(x + i, tail, static_cast<size_t>(count) * sizeof(int32_t));
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(x + i), e);
    }
    sum = _mm256_add_epi64(sum, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(e)));
    sum = _mm256_add_epi64(sum, _mm256_cvtepu32_epi64(_mm256_extracti128_si256(e, 1)));
  }
  alignas(32) uint64_t sums[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(sums), sum);
  const Dyadic norm = DyadicFromRatio(65535, sums[0] + sums[1] + sums[2] + sums[3]);
  const __m256i nm = _mm256_set1_epi32(norm.m);
  const Wide ne = WidenCounts(_mm256_set1_epi32(norm.e < 0 ? 0 : (norm.e > 63 ? 63 : norm.e)));
  for (int32_t i = 0; i < n; i += 8) {
    const int32_t count = n - i < 8 ? n - i : 8;
    const __m256i q = Narrow(Clamp(RoundShift(MulWide(Load8(x + i, count, 0), nm), ne), 0, 65535));
    // Values fit u16, so the unsigned pack is exact; it interleaves 128-bit halves: reorder.
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(q, q), 0x08);
    alignas(32) uint16_t out[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(out), packed);
    __builtin_memcpy(p + i, out, static_cast<size_t>(count) * sizeof(uint16_t));
  }
}

}  // namespace ingot::kernels::avx2
