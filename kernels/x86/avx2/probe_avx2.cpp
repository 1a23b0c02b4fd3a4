// Machine-limit probes with ymm loads and vpmaddubsw + vpmaddwd (ref/probe.h).
#include <immintrin.h>

#include "kernels/x86/avx2/avx2.h"

namespace ingot::kernels::avx2 {

int64_t MemoryReadProbe(const int8_t* data, int64_t size) {
  // Four sequential streams (the quarters) with software prefetch 2 KiB
  // ahead, as in the AVX-512 probe.
  const int64_t part = size / 256 * 64;
  __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (int64_t i = 0; i < part; i += 64) {
    for (int32_t s = 0; s < 4; ++s) {
      const int8_t* p = data + s * part + i;
      _mm_prefetch(reinterpret_cast<const char*>(p + 2048), _MM_HINT_T0);
      const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
      if (s % 2 == 0) {
        acc0 = _mm256_xor_si256(acc0, lo);
        acc1 = _mm256_xor_si256(acc1, hi);
      } else {
        acc2 = _mm256_xor_si256(acc2, lo);
        acc3 = _mm256_xor_si256(acc3, hi);
      }
    }
  }
  int64_t tail = 0;
  for (int64_t i = 4 * part; i < size; ++i) tail += data[i];
  alignas(32) int64_t lanes[4];
  const __m256i all = _mm256_xor_si256(_mm256_xor_si256(acc0, acc1), _mm256_xor_si256(acc2, acc3));
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), all);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + tail;
}

int64_t DotPeakProbe(int64_t iterations) {
  // A 2 x 4 tile of independent chains, like the GEMM inner loop without the
  // sign instruction: 8 x (vpmaddubsw, vpmaddwd, vpaddd) per iteration, in
  // asm so the compiler can neither spill nor hoist them.
  __m256i a0 = _mm256_set1_epi32(0), a1 = _mm256_set1_epi32(1), a2 = _mm256_set1_epi32(2),
          a3 = _mm256_set1_epi32(3), a4 = _mm256_set1_epi32(4), a5 = _mm256_set1_epi32(5),
          a6 = _mm256_set1_epi32(6), a7 = _mm256_set1_epi32(7);
  const __m256i x0 = _mm256_set1_epi32(0x01020304), x1 = _mm256_set1_epi32(0x05060708);
  const __m256i w0 = _mm256_set1_epi32(0x01010101), w1 = _mm256_set1_epi32(0x02020202);
  const __m256i w2 = _mm256_set1_epi32(0x03030303), w3 = _mm256_set1_epi32(0x04040404);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t it = 0; it < iterations; ++it) {
    __m256i t0;  // one temporary: register renaming removes the false dependencies
    __asm__ volatile(
        "vpmaddubsw %[w0], %[x0], %[t0]\n\t"
        "vpmaddwd %[ones], %[t0], %[t0]\n\t"
        "vpaddd %[t0], %[a0], %[a0]\n\t"
        "vpmaddubsw %[w1], %[x0], %[t0]\n\t"
        "vpmaddwd %[ones], %[t0], %[t0]\n\t"
        "vpaddd %[t0], %[a1], %[a1]\n\t"
        "vpmaddubsw %[w2], %[x0], %[t0]\n\t"
        "vpmaddwd %[ones], %[t0], %[t0]\n\t"
        "vpaddd %[t0], %[a2], %[a2]\n\t"
        "vpmaddubsw %[w3], %[x0], %[t0]\n\t"
        "vpmaddwd %[ones], %[t0], %[t0]\n\t"
        "vpaddd %[t0], %[a3], %[a3]\n\t"
        "vpmaddubsw %[w0], %[x1], %[t0]\n\t"
        "vpmaddwd %[ones], %[t0], %[t0]\n\t"
        "vpaddd %[t0], %[a4], %[a4]\n\t"
        "vpmaddubsw %[w1], %[x1], %[t0]\n\t"
        "vpmaddwd %[ones], %[t0], %[t0]\n\t"
        "vpaddd %[t0], %[a5], %[a5]\n\t"
        "vpmaddubsw %[w2], %[x1], %[t0]\n\t"
        "vpmaddwd %[ones], %[t0], %[t0]\n\t"
        "vpaddd %[t0], %[a6], %[a6]\n\t"
        "vpmaddubsw %[w3], %[x1], %[t0]\n\t"
        "vpmaddwd %[ones], %[t0], %[t0]\n\t"
        "vpaddd %[t0], %[a7], %[a7]\n\t"
        : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3), [a4] "+x"(a4), [a5] "+x"(a5), [a6] "+x"(a6), [a7] "+x"(a7), [t0] "=&x"(t0)
        : [x0] "x"(x0), [x1] "x"(x1), [w0] "x"(w0), [w1] "x"(w1), [w2] "x"(w2), [w3] "x"(w3), [ones] "x"(ones));
  }
  const __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                     _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  int64_t total = 0;
  for (int32_t v : lanes) total += v;
  return total;
}

}  // namespace ingot::kernels::avx2
