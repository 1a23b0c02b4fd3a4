// Per-row dynamic quantization, 8 lanes per step; bit-identical to
// ref::QuantizeRowS32ToS8 (max |x| as unsigned, scalar dyadics, vector multiply).
#include <immintrin.h>

#include "kernels/ref/quantize_row.h"
#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd_avx2.h"

namespace ingot::kernels::avx2 {

namespace {

inline __m256i Load8(const int32_t* x) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)); }

inline __m256i LoadTail(const int32_t* x, int32_t count) {
  int32_t tmp[8] = {};
  for (int32_t i = 0; i < count; ++i) tmp[i] = x[i];
  return Load8(tmp);
}

}  // namespace

Dyadic QuantizeRowS32ToS8(const int32_t* x, int32_t n, int8_t* q) {
  __m256i max_abs = _mm256_setzero_si256();
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) max_abs = _mm256_max_epu32(max_abs, _mm256_abs_epi32(Load8(x + i)));
  if (i < n) max_abs = _mm256_max_epu32(max_abs, _mm256_abs_epi32(LoadTail(x + i, n - i)));
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), max_abs);
  uint32_t a = 0;
  for (uint32_t v : lanes) a = v > a ? v : a;
  if (a == 0) {
    for (int32_t j = 0; j < n; ++j) q[j] = 0;
    return DyadicOne();
  }
  const Dyadic inv = ref::QuantizeInverseStep(a);
  const __m256i m = _mm256_set1_epi32(inv.m);
  const Wide shift = WidenCounts(_mm256_set1_epi32(inv.e < 0 ? 0 : (inv.e > 63 ? 63 : inv.e)));
  for (i = 0; i < n; i += 8) {
    const int32_t count = n - i < 8 ? n - i : 8;
    const __m256i v = count == 8 ? Load8(x + i) : LoadTail(x + i, count);
    const uint64_t bytes = PackBytes(Narrow(Clamp(RoundShift(MulWide(v, m), shift), -kS8Max, kS8Max)), false);
    __builtin_memcpy(q + i, &bytes, static_cast<size_t>(count));
  }
  return ref::QuantizeStep(a);
}

}  // namespace ingot::kernels::avx2
