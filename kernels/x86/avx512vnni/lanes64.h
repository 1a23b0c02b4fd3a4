// 32x32 -> 64-bit lane arithmetic for AVX-512 requantization-style kernels
// (AVX-512 translation units only; internal linkage). A vector of 16 int32 is
// processed as its 8 even and 8 odd lanes widened to int64.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace ingot::kernels::avx512vnni {
namespace {

struct Wide {
  __m512i even;  // int64 results of lanes 0, 2, 4, ...
  __m512i odd;   // int64 results of lanes 1, 3, 5, ...
};

// Signed a[i] * b[i] as int64.
inline Wide MulWide(__m512i a, __m512i b) {
  return Wide{_mm512_mul_epi32(a, b), _mm512_mul_epi32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(b, 32))};
}

// Per-lane exponent (int32 lanes, already in [0, 63]) widened to int64 lanes.
inline Wide WidenCounts(__m512i e) {
  return Wide{_mm512_and_si512(e, _mm512_set1_epi64(0xFFFFFFFF)), _mm512_srli_epi64(e, 32)};
}

// floor(v / 2^n + 1/2) per int64 lane, n in [0, 63]; requires |v| < 2^62
// (then v + 2^(n-1) cannot overflow), which every caller guarantees.
inline __m512i RoundShift64(__m512i v, __m512i n) {
  const __m512i one = _mm512_set1_epi64(1);
  const __m512i half = _mm512_sllv_epi64(one, _mm512_sub_epi64(n, one));  // n = 0: count -1 -> 0
  return _mm512_srav_epi64(_mm512_add_epi64(v, half), n);
}

inline Wide RoundShift(Wide v, Wide n) { return Wide{RoundShift64(v.even, n.even), RoundShift64(v.odd, n.odd)}; }

inline Wide Clamp(Wide v, int64_t lo, int64_t hi) {
  const __m512i l = _mm512_set1_epi64(lo);
  const __m512i h = _mm512_set1_epi64(hi);
  return Wide{_mm512_min_epi64(_mm512_max_epi64(v.even, l), h), _mm512_min_epi64(_mm512_max_epi64(v.odd, l), h)};
}

// Back to 16 int32 lanes (each int64 must fit int32).
inline __m512i Narrow(Wide v) {
  return _mm512_mask_blend_epi32(static_cast<__mmask16>(0xAAAA), v.even, _mm512_slli_epi64(v.odd, 32));
}

// Mask of the first `count` lanes (count in [0, 16]).
inline __mmask16 FirstLanes(int32_t count) {
  return static_cast<__mmask16>(count >= 16 ? 0xFFFFu : ((1u << (count < 0 ? 0 : count)) - 1u));
}

// max_i |x[i]| over x [n], as unsigned (|INT32_MIN| = 2^31).
inline uint32_t MaxMagnitude(const int32_t* x, int32_t n) {
  __m512i max_abs = _mm512_setzero_si512();
  for (int32_t i = 0; i < n; i += 16) {
    max_abs = _mm512_max_epu32(max_abs, _mm512_abs_epi32(_mm512_maskz_loadu_epi32(FirstLanes(n - i), x + i)));
  }
  return static_cast<uint32_t>(_mm512_reduce_max_epu32(max_abs));
}

// Splits the Dyadic {m, e} structs (AoS) of the lanes in `mask` (a prefix)
// into m and e vectors; other lanes read nothing and are zero.
inline void LoadDyadics(const int32_t* p, __mmask16 mask, __m512i* m, __m512i* e) {
  const int32_t count = __builtin_popcount(mask);
  const int32_t low = count < 8 ? count : 8;
  const __m512i v0 = _mm512_maskz_loadu_epi32(FirstLanes(2 * low), p);                 // structs 0..7
  const __m512i v1 = _mm512_maskz_loadu_epi32(FirstLanes(2 * (count - low)), p + 16);  // structs 8..15
  const __m512i idx_m = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i idx_e = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  *m = _mm512_permutex2var_epi32(v0, idx_m, v1);
  *e = _mm512_permutex2var_epi32(v0, idx_e, v1);
}

}  // namespace
}  // namespace ingot::kernels::avx512vnni
