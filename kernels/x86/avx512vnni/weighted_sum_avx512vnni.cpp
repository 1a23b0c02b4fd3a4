// P.V with vpdpbusd on the V cache interleaved by 4 rows: one zmm holds 16 columns x 4 rows.
// Each weight (< 2^16) splits into its high and low bytes, both u8: two dot products per
// group, acc = (hi << 8) + lo, which is sum w * v exactly, modulo 2^32 like ref.
#include <immintrin.h>

#include "kernels/ref/weighted_sum.h"
#include "kernels/x86/avx512vnni/avx512vnni.h"

namespace ingot::kernels::avx512vnni {

void WeightedSumS8(const int32_t* w, const int8_t* v, int32_t n, int32_t cols, int32_t* out) {
  if (cols % 16 != 0) {  // head_dim 8 (stories260K) and the like: tiny, not worth a kernel
    ref::WeightedSumS8(w, v, n, cols, out);
    return;
  }
  const int32_t groups = (n + 3) / 4;
  for (int32_t c0 = 0; c0 < cols; c0 += 64) {
    const int32_t blocks = (cols - c0) / 16 < 4 ? (cols - c0) / 16 : 4;
    __m512i hi[4], lo[4];
    for (int32_t b = 0; b < 4; ++b) hi[b] = lo[b] = _mm512_setzero_si512();
    for (int32_t g = 0; g < groups; ++g) {
      uint32_t h = 0, l = 0;  // the 4 rows' weight bytes
      for (int32_t j = 0; j < 4; ++j) {
        const int32_t p = 4 * g + j;
        const auto weight = p < n ? static_cast<uint32_t>(w[p]) : 0u;
        h |= (weight >> 8) << (8 * j);
        l |= (weight & 0xFFu) << (8 * j);
      }
      const __m512i hb = _mm512_set1_epi32(static_cast<int32_t>(h));
      const __m512i lb = _mm512_set1_epi32(static_cast<int32_t>(l));
      const int8_t* group = v + (static_cast<int64_t>(g) * cols + c0) * 4;
      for (int32_t b = 0; b < blocks; ++b) {
        const __m512i rows = _mm512_loadu_si512(group + 64 * b);
        hi[b] = _mm512_dpbusd_epi32(hi[b], hb, rows);
        lo[b] = _mm512_dpbusd_epi32(lo[b], lb, rows);
      }
    }
    for (int32_t b = 0; b < blocks; ++b) {
      _mm512_storeu_si512(out + c0 + 16 * b, _mm512_add_epi32(_mm512_slli_epi32(hi[b], 8), lo[b]));
    }
  }
}

}  // namespace ingot::kernels::avx512vnni
