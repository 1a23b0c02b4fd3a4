// Integer RMSNorm, 16 lanes per step; bit-identical to ref::RmsNormS32. The exact 128-bit sum of
// squares is kept as per-lane sums of the squares' low and high 32-bit halves (each fits 64 bits
// for n <= kNormMaxN); the row's factor comes from ref::NormScaleFor.
#include <immintrin.h>

#include "kernels/ref/norm.h"
#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/lanes64.h"

namespace ingot::kernels::avx512vnni {

void RmsNormS32(const int32_t* x, int32_t n, Dyadic eps, const int32_t* gamma, int32_t gamma_shift, int32_t* out) {
  if (n <= 0) return;
  const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
  __m512i sum_lo = _mm512_setzero_si512(), sum_hi = sum_lo, max_abs = sum_lo;
  for (int32_t i = 0; i < n; i += 16) {
    const __m512i mag = _mm512_abs_epi32(_mm512_maskz_loadu_epi32(FirstLanes(n - i), x + i));  // |INT32_MIN| = 2^31 as uint32
    max_abs = _mm512_max_epu32(max_abs, mag);
    const __m512i odd = _mm512_srli_epi64(mag, 32);
    const __m512i sq_even = _mm512_mul_epu32(mag, mag);
    const __m512i sq_odd = _mm512_mul_epu32(odd, odd);
    sum_lo = _mm512_add_epi64(sum_lo, _mm512_add_epi64(_mm512_and_si512(sq_even, low32), _mm512_and_si512(sq_odd, low32)));
    sum_hi = _mm512_add_epi64(sum_hi, _mm512_add_epi64(_mm512_srli_epi64(sq_even, 32), _mm512_srli_epi64(sq_odd, 32)));
  }
  // sum = hi * 2^32 + lo, both < 2^52.
  const auto lo = static_cast<uint64_t>(_mm512_reduce_add_epi64(sum_lo));
  const auto hi = static_cast<uint64_t>(_mm512_reduce_add_epi64(sum_hi));
  const uint64_t low_bits = (hi << 32) + lo;
  const uint64_t carry = low_bits < lo ? 1 : 0;
  const ref::NormScale s = ref::NormScaleFor((hi >> 32) + carry, low_bits,
                                             static_cast<uint32_t>(_mm512_reduce_max_epu32(max_abs)), n, eps);
  const Wide shift = WidenCounts(_mm512_set1_epi32(s.shift));
  const __m512i m = _mm512_set1_epi32(s.mult.m);
  const Wide mult_e = WidenCounts(_mm512_set1_epi32(s.mult.e < 0 ? 0 : (s.mult.e > 63 ? 63 : s.mult.e)));
  const Wide gamma_e = WidenCounts(_mm512_set1_epi32(gamma_shift < 0 ? 0 : (gamma_shift > 63 ? 63 : gamma_shift)));
  const __m512i one = _mm512_set1_epi32(1);
  if (s.zero) {  // an all-zero row
    for (int32_t i = 0; i < n; i += 16) _mm512_mask_storeu_epi32(out + i, FirstLanes(n - i), _mm512_setzero_si512());
    return;
  }
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 mask = FirstLanes(n - i);
    const __m512i xv = _mm512_maskz_loadu_epi32(mask, x + i);
    const __m512i w = s.shift == 0 ? xv : Narrow(Clamp(RoundShift(MulWide(xv, one), shift), INT32_MIN, INT32_MAX));
    __m512i z = Narrow(Clamp(RoundShift(MulWide(w, m), mult_e), INT32_MIN, INT32_MAX));
    if (gamma != nullptr) {
      z = Narrow(Clamp(RoundShift(MulWide(z, _mm512_maskz_loadu_epi32(mask, gamma + i)), gamma_e), INT32_MIN, INT32_MAX));
    }
    _mm512_mask_storeu_epi32(out + i, mask, z);
  }
}

}  // namespace ingot::kernels::avx512vnni
