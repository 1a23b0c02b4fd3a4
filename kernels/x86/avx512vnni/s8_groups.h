// Loading 4-byte groups of int8 activations for the u8 x s8 instructions
// (AVX-512 VNNI translation units only; internal linkage).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace ingot::kernels::avx512vnni {
namespace {

// Bytes 4g..4g+3 of x [k] as a uint32, zero-padded past k.
inline uint32_t LoadGroup(const int8_t* x, int32_t k, int32_t g) {
  uint32_t v = 0;
  const int32_t start = 4 * g;
  if (start + 4 <= k) {
    std::memcpy(&v, x + start, 4);
  } else {
    for (int32_t i = 0; start + i < k; ++i) {
      v |= static_cast<uint32_t>(static_cast<uint8_t>(x[start + i])) << (8 * i);
    }
  }
  return v;
}

// The group broadcast to 16 lanes with the +128 offset (x ^ 0x80 = x + 128 as u8).
inline __m512i BroadcastGroupU8(uint32_t group) {
  const __m512i offset = _mm512_set1_epi32(static_cast<int32_t>(0x80808080u));
  return _mm512_xor_si512(_mm512_set1_epi32(static_cast<int32_t>(group)), offset);
}

// Rows [block * 16, block * 16 + 16) intersected with [n_begin, n_end) as a lane mask.
inline __mmask16 RowMask(int32_t block, int32_t n_begin, int32_t n_end) {
  const int32_t lo = n_begin - block * 16;
  const int32_t hi = n_end - block * 16;
  uint32_t mask = 0xFFFFu;
  if (lo > 0) mask &= 0xFFFFu << lo;
  if (hi < 16) mask &= (1u << (hi < 0 ? 0 : hi)) - 1u;
  return static_cast<__mmask16>(mask);
}

}  // namespace
}  // namespace ingot::kernels::avx512vnni
