// Loading 4-byte groups of int8 activations for the u8 x s8 instructions
// (AVX-512 VNNI translation units only; internal linkage).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/packed_weights.h"

namespace ingot::kernels::avx512vnni {
namespace {

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
