// Machine-limit probes with zmm loads and vpdpbusd (see ref/probe.h).
#include <immintrin.h>

#include "kernels/x86/avx512vnni/avx512vnni.h"

namespace ingot::kernels::avx512vnni {

int64_t MemoryReadProbe(const int8_t* data, int64_t size) {
  // Four sequential streams (the quarters) with software prefetch 2 KiB
  // ahead: the best read pattern found on this kind of machine, so the
  // bandwidth it measures is a ceiling for the GEMV.
  const int64_t part = size / 256 * 64;
  __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (int64_t i = 0; i < part; i += 64) {
    for (int32_t s = 0; s < 4; ++s) _mm_prefetch(reinterpret_cast<const char*>(data + s * part + i + 2048), _MM_HINT_T0);
    acc0 = _mm512_xor_si512(acc0, _mm512_loadu_si512(data + i));
    acc1 = _mm512_xor_si512(acc1, _mm512_loadu_si512(data + part + i));
    acc2 = _mm512_xor_si512(acc2, _mm512_loadu_si512(data + 2 * part + i));
    acc3 = _mm512_xor_si512(acc3, _mm512_loadu_si512(data + 3 * part + i));
  }
  int64_t tail = 0;
  for (int64_t i = 4 * part; i < size; ++i) tail += data[i];
  const __m512i all = _mm512_xor_si512(_mm512_xor_si512(acc0, acc1), _mm512_xor_si512(acc2, acc3));
  return _mm512_reduce_add_epi64(all) + tail;
}

int64_t DotPeakProbe(int64_t iterations) {
  // 24 independent vpdpbusd chains (enough to cover latency x throughput),
  // written in asm so the compiler can neither spill nor drop them.
  __m512i a0 = _mm512_set1_epi32(0), a1 = _mm512_set1_epi32(1), a2 = _mm512_set1_epi32(2), a3 = _mm512_set1_epi32(3), a4 = _mm512_set1_epi32(4), a5 = _mm512_set1_epi32(5), a6 = _mm512_set1_epi32(6), a7 = _mm512_set1_epi32(7), a8 = _mm512_set1_epi32(8), a9 = _mm512_set1_epi32(9), a10 = _mm512_set1_epi32(10), a11 = _mm512_set1_epi32(11), a12 = _mm512_set1_epi32(12), a13 = _mm512_set1_epi32(13), a14 = _mm512_set1_epi32(14), a15 = _mm512_set1_epi32(15), a16 = _mm512_set1_epi32(16), a17 = _mm512_set1_epi32(17), a18 = _mm512_set1_epi32(18), a19 = _mm512_set1_epi32(19), a20 = _mm512_set1_epi32(20), a21 = _mm512_set1_epi32(21), a22 = _mm512_set1_epi32(22), a23 = _mm512_set1_epi32(23);
  const __m512i x = _mm512_set1_epi32(0x01020304);
  const __m512i w = _mm512_set1_epi32(0x05060708);
  for (int64_t it = 0; it < iterations; ++it) {
    __asm__ volatile(
        "vpdpbusd %[w], %[x], %[a0]\n\t"
        "vpdpbusd %[w], %[x], %[a1]\n\t"
        "vpdpbusd %[w], %[x], %[a2]\n\t"
        "vpdpbusd %[w], %[x], %[a3]\n\t"
        "vpdpbusd %[w], %[x], %[a4]\n\t"
        "vpdpbusd %[w], %[x], %[a5]\n\t"
        "vpdpbusd %[w], %[x], %[a6]\n\t"
        "vpdpbusd %[w], %[x], %[a7]\n\t"
        "vpdpbusd %[w], %[x], %[a8]\n\t"
        "vpdpbusd %[w], %[x], %[a9]\n\t"
        "vpdpbusd %[w], %[x], %[a10]\n\t"
        "vpdpbusd %[w], %[x], %[a11]\n\t"
        : [a0] "+v"(a0), [a1] "+v"(a1), [a2] "+v"(a2), [a3] "+v"(a3), [a4] "+v"(a4), [a5] "+v"(a5), [a6] "+v"(a6), [a7] "+v"(a7), [a8] "+v"(a8), [a9] "+v"(a9), [a10] "+v"(a10), [a11] "+v"(a11)
        : [x] "v"(x), [w] "v"(w));
    __asm__ volatile(
        "vpdpbusd %[w], %[x], %[a12]\n\t"
        "vpdpbusd %[w], %[x], %[a13]\n\t"
        "vpdpbusd %[w], %[x], %[a14]\n\t"
        "vpdpbusd %[w], %[x], %[a15]\n\t"
        "vpdpbusd %[w], %[x], %[a16]\n\t"
        "vpdpbusd %[w], %[x], %[a17]\n\t"
        "vpdpbusd %[w], %[x], %[a18]\n\t"
        "vpdpbusd %[w], %[x], %[a19]\n\t"
        "vpdpbusd %[w], %[x], %[a20]\n\t"
        "vpdpbusd %[w], %[x], %[a21]\n\t"
        "vpdpbusd %[w], %[x], %[a22]\n\t"
        "vpdpbusd %[w], %[x], %[a23]\n\t"
        : [a12] "+v"(a12), [a13] "+v"(a13), [a14] "+v"(a14), [a15] "+v"(a15), [a16] "+v"(a16), [a17] "+v"(a17), [a18] "+v"(a18), [a19] "+v"(a19), [a20] "+v"(a20), [a21] "+v"(a21), [a22] "+v"(a22), [a23] "+v"(a23)
        : [x] "v"(x), [w] "v"(w));
  }
  __m512i s = a0;
  s = _mm512_add_epi32(s, a1);
  s = _mm512_add_epi32(s, a2);
  s = _mm512_add_epi32(s, a3);
  s = _mm512_add_epi32(s, a4);
  s = _mm512_add_epi32(s, a5);
  s = _mm512_add_epi32(s, a6);
  s = _mm512_add_epi32(s, a7);
  s = _mm512_add_epi32(s, a8);
  s = _mm512_add_epi32(s, a9);
  s = _mm512_add_epi32(s, a10);
  s = _mm512_add_epi32(s, a11);
  s = _mm512_add_epi32(s, a12);
  s = _mm512_add_epi32(s, a13);
  s = _mm512_add_epi32(s, a14);
  s = _mm512_add_epi32(s, a15);
  s = _mm512_add_epi32(s, a16);
  s = _mm512_add_epi32(s, a17);
  s = _mm512_add_epi32(s, a18);
  s = _mm512_add_epi32(s, a19);
  s = _mm512_add_epi32(s, a20);
  s = _mm512_add_epi32(s, a21);
  s = _mm512_add_epi32(s, a22);
  s = _mm512_add_epi32(s, a23);
  return _mm512_reduce_add_epi32(s);
}

}  // namespace ingot::kernels::avx512vnni
