// Machine-limit probes with zmm loads and vpdpbusd (see ref/probe.h).
#include <immintrin.h>

#include "kernels/x86/avx512vnni/avx512vnni.h"

namespace ingot::kernels::avx512vnni {

int64_t MemoryReadProbe(const int8_t* data, int64_t size) {
  // Two sequential streams (the halves), like a GEMV reading row blocks.
  const int64_t half = size / 128 * 64;
  const int8_t* second = data + half;
  __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
  for (int64_t i = 0; i < half; i += 64) {
    acc0 = _mm512_xor_si512(acc0, _mm512_loadu_si512(data + i));
    acc1 = _mm512_xor_si512(acc1, _mm512_loadu_si512(second + i));
  }
  int64_t tail = 0;
  for (int64_t i = 2 * half; i < size; ++i) tail += data[i];
  return _mm512_reduce_add_epi64(_mm512_xor_si512(acc0, acc1)) + tail;
}

int64_t DotPeakProbe(int64_t iterations) {
  // 24 independent chains: enough to cover vpdpbusd latency x throughput.
  __m512i acc[24];
  for (int32_t j = 0; j < 24; ++j) acc[j] = _mm512_set1_epi32(j);
  __m512i a = _mm512_set1_epi32(0x01020304);
  __m512i b = _mm512_set1_epi32(0x05060708);
  for (int64_t it = 0; it < iterations; ++it) {
    __asm__ volatile("" : "+v"(a), "+v"(b));
    for (int32_t j = 0; j < 24; ++j) acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
  }
  __m512i s = acc[0];
  for (int32_t j = 1; j < 24; ++j) s = _mm512_add_epi32(s, acc[j]);
  return _mm512_reduce_add_epi32(s);
}

}  // namespace ingot::kernels::avx512vnni
