// Machine-limit probes with ymm loads and vpmaddubsw + vpmaddwd (ref/probe.h).
#include <immintrin.h>

#include "kernels/x86/avx2/avx2.h"

namespace ingot::kernels::avx2 {

int64_t MemoryReadProbe(const int8_t* data, int64_t size) {
  // Two sequential streams (the halves), like a GEMV reading row blocks.
  const int64_t half = size / 128 * 64;
  const int8_t* second = data + half;
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  for (int64_t i = 0; i < half; i += 64) {
    acc0 = _mm256_xor_si256(acc0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i)));
    acc1 = _mm256_xor_si256(acc1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i + 32)));
    acc0 = _mm256_xor_si256(acc0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(second + i)));
    acc1 = _mm256_xor_si256(acc1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(second + i + 32)));
  }
  int64_t tail = 0;
  for (int64_t i = 2 * half; i < size; ++i) tail += data[i];
  alignas(32) int64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_xor_si256(acc0, acc1));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + tail;
}

int64_t DotPeakProbe(int64_t iterations) {
  // A 2 x 4 tile of independent chains, like the GEMM inner loop without the
  // sign instruction: 8 x (vpmaddubsw, vpmaddwd, vpaddd) per iteration.
  __m256i acc[8];
  for (int32_t j = 0; j < 8; ++j) acc[j] = _mm256_set1_epi32(j);
  __m256i x0 = _mm256_set1_epi32(0x01020304), x1 = _mm256_set1_epi32(0x05060708);
  __m256i w0 = _mm256_set1_epi32(0x01010101), w1 = _mm256_set1_epi32(0x02020202);
  __m256i w2 = _mm256_set1_epi32(0x03030303), w3 = _mm256_set1_epi32(0x04040404);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t it = 0; it < iterations; ++it) {
    __asm__ volatile("" : "+x"(x0), "+x"(x1), "+x"(w0), "+x"(w1), "+x"(w2), "+x"(w3));
    acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(_mm256_maddubs_epi16(x0, w0), ones));
    acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(_mm256_maddubs_epi16(x0, w1), ones));
    acc[2] = _mm256_add_epi32(acc[2], _mm256_madd_epi16(_mm256_maddubs_epi16(x0, w2), ones));
    acc[3] = _mm256_add_epi32(acc[3], _mm256_madd_epi16(_mm256_maddubs_epi16(x0, w3), ones));
    acc[4] = _mm256_add_epi32(acc[4], _mm256_madd_epi16(_mm256_maddubs_epi16(x1, w0), ones));
    acc[5] = _mm256_add_epi32(acc[5], _mm256_madd_epi16(_mm256_maddubs_epi16(x1, w1), ones));
    acc[6] = _mm256_add_epi32(acc[6], _mm256_madd_epi16(_mm256_maddubs_epi16(x1, w2), ones));
    acc[7] = _mm256_add_epi32(acc[7], _mm256_madd_epi16(_mm256_maddubs_epi16(x1, w3), ones));
  }
  __m256i s = acc[0];
  for (int32_t j = 1; j < 8; ++j) s = _mm256_add_epi32(s, acc[j]);
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  int64_t total = 0;
  for (int32_t v : lanes) total += v;
  return total;
}

}  // namespace ingot::kernels::avx2
