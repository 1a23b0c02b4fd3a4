// AVX2 helpers shared by the AVX2 translation units (internal linkage only):
// signed int8 dot products by the sign trick, and 32x32 -> 64-bit lane math.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/packed_weights.h"

namespace ingot::kernels::avx2 {
namespace {

// acc += per-lane sum of 4 products x * w, times mul16, exact: |x| as u8 times
// w with x's sign, pairs summed by vpmaddubsw (<= 2 * 127 * 127 = 32258, never
// saturates because neither side is -128), then widened by vpmaddwd against
// mul16 (int16 lanes): ones for a plain dot, 2^shift for a grouped one.
inline __m256i DotAdd(__m256i acc, __m256i abs_x, __m256i x, __m256i w, __m256i mul16) {
  const __m256i pairs = _mm256_maddubs_epi16(abs_x, _mm256_sign_epi8(w, x));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, mul16));
}

// Rows [block * 16 + half * 8, +8) intersected with [n_begin, n_end): stores
// only those lanes of v into y.
inline void StoreRows(int32_t* y, int32_t row0, int32_t n_begin, int32_t n_end, __m256i v) {
  if (row0 >= n_begin && row0 + 8 <= n_end) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + row0), v);
    return;
  }
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  for (int32_t i = 0; i < 8; ++i) {
    if (row0 + i >= n_begin && row0 + i < n_end) y[row0 + i] = lanes[i];
  }
}

struct Wide {
  __m256i even;  // int64 results of lanes 0, 2, 4, 6
  __m256i odd;   // int64 results of lanes 1, 3, 5, 7
};

inline Wide MulWide(__m256i a, __m256i b) {
  return Wide{_mm256_mul_epi32(a, b), _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32))};
}

inline Wide WidenCounts(__m256i e) {
  return Wide{_mm256_and_si256(e, _mm256_set1_epi64x(0xFFFFFFFF)), _mm256_srli_epi64(e, 32)};
}

// floor(v / 2^n + 1/2) per int64 lane, n in [0, 63], |v| < 2^62. AVX2 has no
// 64-bit arithmetic shift: shift the one's complement of negative lanes.
inline __m256i RoundShift64(__m256i v, __m256i n) {
  const __m256i one = _mm256_set1_epi64x(1);
  const __m256i half = _mm256_sllv_epi64(one, _mm256_sub_epi64(n, one));  // n = 0: 0
  const __m256i s = _mm256_add_epi64(v, half);
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), s);
  return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(s, sign), n), sign);
}

inline Wide RoundShift(Wide v, Wide n) { return Wide{RoundShift64(v.even, n.even), RoundShift64(v.odd, n.odd)}; }

inline __m256i Clamp64(__m256i v, __m256i lo, __m256i hi) {
  v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
  return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

inline Wide Clamp(Wide v, int64_t lo, int64_t hi) {
  const __m256i l = _mm256_set1_epi64x(lo);
  const __m256i h = _mm256_set1_epi64x(hi);
  return Wide{Clamp64(v.even, l, h), Clamp64(v.odd, l, h)};
}

inline __m256i Narrow(Wide v) { return _mm256_blend_epi32(v.even, _mm256_slli_epi64(v.odd, 32), 0xAA); }

// 8 int32 lanes (each in [-128, 255] after clamping) to 8 bytes.
inline uint64_t PackBytes(__m256i v, bool is_unsigned) {
  const __m256i w16 = _mm256_packs_epi32(v, v);  // [v0..3 v0..3 | v4..7 v4..7]
  const __m256i w8 = is_unsigned ? _mm256_packus_epi16(w16, w16) : _mm256_packs_epi16(w16, w16);
  const __m256i both = _mm256_permutevar8x32_epi32(w8, _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(_mm256_castsi256_si128(both)));
}

inline __m256i Load8(const int32_t* x) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)); }

// The first count (in [0, 8]) int32 of x, zeros after.
inline __m256i LoadTail(const int32_t* x, int32_t count) {
  int32_t tmp[8] = {};
  for (int32_t i = 0; i < count; ++i) tmp[i] = x[i];
  return Load8(tmp);
}

inline uint32_t HorizontalMaxU32(__m256i v) {
  __m128i m = _mm_max_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0xB1));
  return static_cast<uint32_t>(_mm_cvtsi128_si32(m));
}

// max_i |x[i]| over x [n], as unsigned (|INT32_MIN| = 2^31).
inline uint32_t MaxMagnitude(const int32_t* x, int32_t n) {
  __m256i max_abs = _mm256_setzero_si256();
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) max_abs = _mm256_max_epu32(max_abs, _mm256_abs_epi32(Load8(x + i)));
  if (i < n) max_abs = _mm256_max_epu32(max_abs, _mm256_abs_epi32(LoadTail(x + i, n - i)));
  return HorizontalMaxU32(max_abs);
}

}  // namespace
}  // namespace ingot::kernels::avx2
