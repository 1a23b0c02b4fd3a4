// GEMV with vpmaddubsw/vpmaddwd on the block16x4 layout: each 64-byte group
// is two ymm (rows 0-7 and 8-15, 4 k each); the activation group is
// broadcast and applied by the sign trick (simd_avx2.h).
// Accumulator bound: |y| <= 127 * 127 * K < 2^31 (K <= kMaxK).
#include <immintrin.h>

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd_avx2.h"

namespace ingot::kernels::avx2 {

namespace {

constexpr int32_t kBlockBytes = kPackRows * kPackK;  // 64
// Software prefetch distance per block stream (see gemv_s8_avx512vnni.cpp).
constexpr int64_t kPrefetchBytes = 2048;

template <int kBlocks>
void GemvBlocks(const PackedS8Weights& w, const int8_t* x, int32_t block, int32_t n_begin, int32_t n_end,
                int32_t* y) {
  const int32_t groups = w.k_pad / kPackK;
  const int64_t block_stride = static_cast<int64_t>(w.k_pad) * kPackRows;
  const int8_t* base = w.data + block * block_stride;
  const __m256i ones16 = _mm256_set1_epi16(1);
  __m256i acc[kBlocks][2];
  for (int b = 0; b < kBlocks; ++b) acc[b][0] = acc[b][1] = _mm256_setzero_si256();
  for (int32_t g = 0; g < groups; ++g) {
    const __m256i xg = _mm256_set1_epi32(static_cast<int32_t>(LoadGroup(x, w.k, g)));
    const __m256i ax = _mm256_abs_epi8(xg);
    for (int b = 0; b < kBlocks; ++b) {
      const int8_t* p = base + b * block_stride + static_cast<int64_t>(g) * kBlockBytes;
      _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
      acc[b][0] = DotAdd(acc[b][0], ax, xg, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), ones16);
      acc[b][1] = DotAdd(acc[b][1], ax, xg, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)), ones16);
    }
  }
  for (int b = 0; b < kBlocks; ++b) {
    const int32_t row0 = (block + b) * kPackRows;
    StoreRows(y, row0, n_begin, n_end, acc[b][0]);
    StoreRows(y, row0 + 8, n_begin, n_end, acc[b][1]);
  }
}

}  // namespace

void GemvS8(const PackedS8Weights& w, const int8_t* x, int32_t n_begin, int32_t n_end, int32_t* y) {
  if (n_begin >= n_end) return;
  int32_t block = n_begin / kPackRows;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (; block + 4 <= block_end; block += 4) GemvBlocks<4>(w, x, block, n_begin, n_end, y);
  for (; block < block_end; ++block) GemvBlocks<1>(w, x, block, n_begin, n_end, y);
}

}  // namespace ingot::kernels::avx2
