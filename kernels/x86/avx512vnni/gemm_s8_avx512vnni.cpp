// GEMM with vpdpbusd: register tile of up to 6 activation rows x 4 row blocks
// (64 outputs wide), 24 zmm accumulators. Loop order: a 64-row weight panel
// (64 x K bytes, L2-resident) is reused by every 6-row activation tile.
// Same offset trick and accumulator bound as gemv_s8_avx512vnni.cpp.
#include <immintrin.h>

#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/s8_groups.h"

namespace ingot::kernels::avx512vnni {

namespace {

constexpr int32_t kBlockBytes = kPackRows * kPackK;  // 64
constexpr int32_t kTileRows = 6;
constexpr int32_t kTileBlocks = 4;

template <int kRows, int kBlocks>
void GemmTile(const int8_t* a, int64_t lda, const PackedS8Weights& w, int32_t block, int32_t n_begin,
              int32_t n_end, int32_t* c, int64_t ldc) {
  const int32_t groups = w.k_pad / kPackK;
  const int32_t full_groups = w.k / kPackK;
  const int64_t block_stride = static_cast<int64_t>(w.k_pad) * kPackRows;
  const int8_t* base = w.data + block * block_stride;
  __m512i acc[kRows][kBlocks];
  for (int r = 0; r < kRows; ++r) {
    for (int b = 0; b < kBlocks; ++b) acc[r][b] = _mm512_setzero_si512();
  }
  const __m512i offset = _mm512_set1_epi32(static_cast<int32_t>(0x80808080u));
  int32_t g = 0;
  for (; g < full_groups; ++g) {
    __m512i wv[kBlocks];
    for (int b = 0; b < kBlocks; ++b) {
      wv[b] = _mm512_loadu_si512(base + b * block_stride + static_cast<int64_t>(g) * kBlockBytes);
    }
    for (int r = 0; r < kRows; ++r) {
      int32_t group = 0;
      __builtin_memcpy(&group, a + r * lda + 4 * g, 4);
      const __m512i xg = _mm512_xor_si512(_mm512_set1_epi32(group), offset);
      for (int b = 0; b < kBlocks; ++b) acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], xg, wv[b]);
    }
  }
  for (; g < groups; ++g) {  // the zero-padded last group
    for (int r = 0; r < kRows; ++r) {
      const __m512i xg = BroadcastGroupU8(LoadGroup(a + r * lda, w.k, g));
      for (int b = 0; b < kBlocks; ++b) {
        const __m512i wv = _mm512_loadu_si512(base + b * block_stride + static_cast<int64_t>(g) * kBlockBytes);
        acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], xg, wv);
      }
    }
  }
  for (int b = 0; b < kBlocks; ++b) {
    const int32_t row0 = (block + b) * kPackRows;
    const __m512i correction = _mm512_slli_epi32(_mm512_loadu_si512(w.row_sums + row0), 7);
    const __mmask16 mask = RowMask(block + b, n_begin, n_end);
    for (int r = 0; r < kRows; ++r) {
      _mm512_mask_storeu_epi32(c + r * ldc + row0, mask, _mm512_sub_epi32(acc[r][b], correction));
    }
  }
}

template <int kBlocks>
void GemmPanel(const int8_t* a, int64_t lda, int32_t m_count, const PackedS8Weights& w, int32_t block,
               int32_t n_begin, int32_t n_end, int32_t* c, int64_t ldc) {
  int32_t m = 0;
  for (; m + kTileRows <= m_count; m += kTileRows) {
    GemmTile<kTileRows, kBlocks>(a + m * lda, lda, w, block, n_begin, n_end, c + m * ldc, ldc);
  }
  const int32_t rest = m_count - m;
  const int8_t* ar = a + m * lda;
  int32_t* cr = c + m * ldc;
  switch (rest) {
    case 1: GemmTile<1, kBlocks>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
    case 2: GemmTile<2, kBlocks>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
    case 3: GemmTile<3, kBlocks>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
    case 4: GemmTile<4, kBlocks>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
    case 5: GemmTile<5, kBlocks>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
    default: break;
  }
}

}  // namespace

void GemmS8(const int8_t* a, int64_t lda, int32_t m_count, const PackedS8Weights& w, int32_t n_begin,
            int32_t n_end, int32_t* c, int64_t ldc) {
  if (n_begin >= n_end || m_count <= 0) return;
  int32_t block = n_begin / kPackRows;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (; block + kTileBlocks <= block_end; block += kTileBlocks) {
    GemmPanel<kTileBlocks>(a, lda, m_count, w, block, n_begin, n_end, c, ldc);
  }
  switch (block_end - block) {
    case 1: GemmPanel<1>(a, lda, m_count, w, block, n_begin, n_end, c, ldc); break;
    case 2: GemmPanel<2>(a, lda, m_count, w, block, n_begin, n_end, c, ldc); break;
    case 3: GemmPanel<3>(a, lda, m_count, w, block, n_begin, n_end, c, ldc); break;
    default: break;
  }
}

}  // namespace ingot::kernels::avx512vnni
