// Requantization, 16 outputs per step; bit-identical to ref::RequantizeS32ToS32.
// Per lane: multiplier as in ref::RequantMultiplier (the combined mantissa is
// (m_r * m_c + 2^30) >> 31), exponent clamped to [0, 63], then one rounding
// shift of the 64-bit product |acc * m| < 2^62 and a clamp.
#include <immintrin.h>

#include "kernels/ref/requantize.h"
#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/lanes64.h"

namespace ingot::kernels::avx512vnni {

namespace {

// Multipliers of lanes [c, c + 16) of row r as (m, e) vectors, e clamped.
inline void LaneMultipliers(const Dyadic* row_scale, const Dyadic* col_scale, int32_t r, int32_t c,
                            __mmask16 mask, __m512i* m, __m512i* e) {
  if (col_scale != nullptr) {
    LoadDyadics(reinterpret_cast<const int32_t*>(col_scale + c), mask, m, e);
    if (row_scale != nullptr) {
      const __m512i mr = _mm512_set1_epi32(row_scale[r].m);
      const __m512i round = _mm512_set1_epi64(int64_t{1} << 30);
      const __m512i m_odd = _mm512_srli_epi64(*m, 32);
      const __m512i pe = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epu32(*m, mr), round), 31);
      const __m512i po = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epu32(m_odd, mr), round), 31);
      *m = _mm512_mask_blend_epi32(static_cast<__mmask16>(0xAAAA), pe, _mm512_slli_epi64(po, 32));
      *e = _mm512_add_epi32(*e, _mm512_set1_epi32(row_scale[r].e - 31));
    }
  } else if (row_scale != nullptr) {
    *m = _mm512_set1_epi32(row_scale[r].m);
    *e = _mm512_set1_epi32(row_scale[r].e);
  } else {
    *m = _mm512_set1_epi32(kDyadicOne);
    *e = _mm512_set1_epi32(30);
  }
  *e = _mm512_min_epi32(_mm512_max_epi32(*e, _mm512_setzero_si512()), _mm512_set1_epi32(63));
}

}  // namespace

void RequantizeS32ToS32(const int32_t* acc, int64_t ld_acc, int32_t rows, int32_t cols,
                        const Dyadic* row_scale, const Dyadic* col_scale, int32_t* out, int64_t ld_out) {
  for (int32_t r = 0; r < rows; ++r) {
    const int32_t* a = acc + r * ld_acc;
    for (int32_t c = 0; c < cols; c += 16) {
      const __mmask16 mask = FirstLanes(cols - c);
      __m512i m, e;
      LaneMultipliers(row_scale, col_scale, r, c, mask, &m, &e);
      const __m512i x = _mm512_maskz_loadu_epi32(mask, a + c);
      const Wide v = Clamp(RoundShift(MulWide(x, m), WidenCounts(e)), INT32_MIN, INT32_MAX);
      _mm512_mask_storeu_epi32(out + r * ld_out + c, mask, Narrow(v));
    }
  }
}

}  // namespace ingot::kernels::avx512vnni
