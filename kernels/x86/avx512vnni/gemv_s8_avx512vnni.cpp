// GEMV with vpdpbusd on the block16x4 layout: one zmm holds 16 rows x 4 k, the
// activation group is broadcast as u8 (x + 128), and 128 * row_sum is
// subtracted at the end. Accumulator bound: the offset sum (x + 128) * w can
// exceed int32 for K > 66311, but vpdpbusd wraps and the corrected result
// |y| <= 127 * 127 * K < 2^31 is exact modulo 2^32, hence exact.
#include <immintrin.h>

#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/s8_groups.h"

namespace ingot::kernels::avx512vnni {

namespace {

constexpr int32_t kBlockBytes = kPackRows * kPackK;  // 64
// Software prefetch distance per block stream: with four streams 64 KiB apart
// the hardware prefetchers alone reach ~65% of the read bandwidth from DRAM;
// prefetching 2 KiB ahead brings the GEMV to the bandwidth of a plain read.
constexpr int64_t kPrefetchBytes = 2048;

// kBlocks consecutive row blocks starting at `block`, all k groups.
template <int kBlocks>
void GemvBlocks(const PackedS8Weights& w, const int8_t* x, int32_t block, int32_t n_begin, int32_t n_end,
                int32_t* y) {
  const int32_t groups = w.k_pad / kPackK;
  const int32_t full_groups = w.k / kPackK;  // groups whose 4 activation bytes all exist
  const int64_t block_stride = static_cast<int64_t>(w.k_pad) * kPackRows;
  const int8_t* base = w.data + block * block_stride;
  __m512i acc[kBlocks];
  for (int b = 0; b < kBlocks; ++b) acc[b] = _mm512_setzero_si512();
  int32_t g = 0;
  for (; g + 4 <= full_groups; g += 4) {
    // Each stream prefetches kPrefetchBytes ahead; past its block's end, into the block it reads
    // next (kBlocks further on), so a new group of blocks starts with its first lines in cache.
    int64_t ahead = static_cast<int64_t>(g) * kBlockBytes + kPrefetchBytes;
    if (ahead >= block_stride) ahead += (kBlocks - 1) * block_stride;
    for (int b = 0; b < kBlocks; ++b) {
      const int8_t* line0 = base + b * block_stride + ahead;
      for (int32_t line = 0; line < 4; ++line) _mm_prefetch(reinterpret_cast<const char*>(line0 + 64 * line), _MM_HINT_T0);
    }
    for (int32_t u = 0; u < 4; ++u) {
      const __m512i xg = BroadcastGroupU8(LoadGroup(x, w.k, g + u));
      for (int b = 0; b < kBlocks; ++b) {
        const __m512i wv = _mm512_loadu_si512(base + b * block_stride + static_cast<int64_t>(g + u) * kBlockBytes);
        acc[b] = _mm512_dpbusd_epi32(acc[b], xg, wv);
      }
    }
  }
  for (; g < groups; ++g) {
    const __m512i xg = BroadcastGroupU8(LoadGroup(x, w.k, g));
    for (int b = 0; b < kBlocks; ++b) {
      const __m512i wv = _mm512_loadu_si512(base + b * block_stride + static_cast<int64_t>(g) * kBlockBytes);
      acc[b] = _mm512_dpbusd_epi32(acc[b], xg, wv);
    }
  }
  for (int b = 0; b < kBlocks; ++b) {
    const int32_t row0 = (block + b) * kPackRows;
    const __m512i sums = _mm512_loadu_si512(w.row_sums + row0);
    const __m512i result = _mm512_sub_epi32(acc[b], _mm512_slli_epi32(sums, 7));
    _mm512_mask_storeu_epi32(y + row0, RowMask(block + b, n_begin, n_end), result);
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

}  // namespace ingot::kernels::avx512vnni
