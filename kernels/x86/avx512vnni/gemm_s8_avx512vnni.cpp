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
// Tiles of at most this many rows prefetch their weights kPrefetchBytes ahead (as the GEMV): the
// two planes of the output matmul's input in decode are such a GEMM.
constexpr int32_t kStreamingRows = 2;
constexpr int64_t kPrefetchBytes = 2048;

// Accumulators are named registers c<row><block> rather than an array: GCC 12
// keeps a 24-zmm array in memory (each step stores it), which halves the
// throughput. Unused ones (kRows < 6 or kBlocks < 4) are compiled away.
#define INGOT_VNNI_ROW(r)                                                      \
  if constexpr ((r) < kRows) {                                                 \
    const __m512i xg = _mm512_xor_si512(_mm512_set1_epi32(LoadA(r)), offset); \
    c##r##0 = _mm512_dpbusd_epi32(c##r##0, xg, w0);                           \
    if constexpr (kBlocks > 1) c##r##1 = _mm512_dpbusd_epi32(c##r##1, xg, w1); \
    if constexpr (kBlocks > 2) c##r##2 = _mm512_dpbusd_epi32(c##r##2, xg, w2); \
    if constexpr (kBlocks > 3) c##r##3 = _mm512_dpbusd_epi32(c##r##3, xg, w3); \
  }

#define INGOT_VNNI_STORE(r)                                                           \
  if constexpr ((r) < kRows) {                                                        \
    int32_t* out = c + (r) * ldc + row0;                                             \
    _mm512_mask_storeu_epi32(out, mask0, _mm512_sub_epi32(c##r##0, k0));             \
    if constexpr (kBlocks > 1) _mm512_mask_storeu_epi32(out + 16, mask1, _mm512_sub_epi32(c##r##1, k1)); \
    if constexpr (kBlocks > 2) _mm512_mask_storeu_epi32(out + 32, mask2, _mm512_sub_epi32(c##r##2, k2)); \
    if constexpr (kBlocks > 3) _mm512_mask_storeu_epi32(out + 48, mask3, _mm512_sub_epi32(c##r##3, k3)); \
  }

template <int kRows, int kBlocks>
void GemmTile(const int8_t* a, int64_t lda, const PackedS8Weights& w, int32_t block, int32_t n_begin,
              int32_t n_end, int32_t* c, int64_t ldc) {
  const int32_t groups = w.k_pad / kPackK;
  const int32_t full_groups = w.k / kPackK;
  const int64_t block_stride = static_cast<int64_t>(w.k_pad) * kPackRows;
  const int8_t* base = w.data + block * block_stride;
  const __m512i offset = _mm512_set1_epi32(static_cast<int32_t>(0x80808080u));
  __m512i c00 = _mm512_setzero_si512(), c01 = _mm512_setzero_si512(), c02 = _mm512_setzero_si512(), c03 = _mm512_setzero_si512();
  __m512i c10 = _mm512_setzero_si512(), c11 = _mm512_setzero_si512(), c12 = _mm512_setzero_si512(), c13 = _mm512_setzero_si512();
  __m512i c20 = _mm512_setzero_si512(), c21 = _mm512_setzero_si512(), c22 = _mm512_setzero_si512(), c23 = _mm512_setzero_si512();
  __m512i c30 = _mm512_setzero_si512(), c31 = _mm512_setzero_si512(), c32 = _mm512_setzero_si512(), c33 = _mm512_setzero_si512();
  __m512i c40 = _mm512_setzero_si512(), c41 = _mm512_setzero_si512(), c42 = _mm512_setzero_si512(), c43 = _mm512_setzero_si512();
  __m512i c50 = _mm512_setzero_si512(), c51 = _mm512_setzero_si512(), c52 = _mm512_setzero_si512(), c53 = _mm512_setzero_si512();
  int32_t g = 0;
  // Activation group g of row r (4 bytes), zero-padded in the last group.
  auto LoadA = [&](int32_t r) {
    int32_t group = 0;
    if (g < full_groups) {
      __builtin_memcpy(&group, a + r * lda + 4 * g, 4);
    } else {
      group = static_cast<int32_t>(LoadGroup(a + r * lda, w.k, g));
    }
    return group;
  };
  const __m512i zero = _mm512_setzero_si512();
  for (; g < groups; ++g) {
    const int8_t* p = base + static_cast<int64_t>(g) * kBlockBytes;
    if constexpr (kRows <= kStreamingRows) {
      // Few rows read each weight line about once, from memory (as a GEMV): prefetch ahead.
      for (int b = 0; b < kBlocks; ++b) _mm_prefetch(reinterpret_cast<const char*>(p + b * block_stride + kPrefetchBytes), _MM_HINT_T0);
    }
    const __m512i w0 = _mm512_loadu_si512(p);
    const __m512i w1 = kBlocks > 1 ? _mm512_loadu_si512(p + block_stride) : zero;
    const __m512i w2 = kBlocks > 2 ? _mm512_loadu_si512(p + 2 * block_stride) : zero;
    const __m512i w3 = kBlocks > 3 ? _mm512_loadu_si512(p + 3 * block_stride) : zero;
    INGOT_VNNI_ROW(0)
    INGOT_VNNI_ROW(1)
    INGOT_VNNI_ROW(2)
    INGOT_VNNI_ROW(3)
    INGOT_VNNI_ROW(4)
    INGOT_VNNI_ROW(5)
  }
  const int32_t row0 = block * kPackRows;
  auto correction = [&](int32_t b) {  // 128 * row sums of block b
    return b < kBlocks ? _mm512_slli_epi32(_mm512_loadu_si512(w.row_sums + row0 + 16 * b), 7) : zero;
  };
  const __m512i k0 = correction(0), k1 = correction(1), k2 = correction(2), k3 = correction(3);
  const __mmask16 mask0 = RowMask(block, n_begin, n_end), mask1 = RowMask(block + 1, n_begin, n_end),
                  mask2 = RowMask(block + 2, n_begin, n_end), mask3 = RowMask(block + 3, n_begin, n_end);
  INGOT_VNNI_STORE(0)
  INGOT_VNNI_STORE(1)
  INGOT_VNNI_STORE(2)
  INGOT_VNNI_STORE(3)
  INGOT_VNNI_STORE(4)
  INGOT_VNNI_STORE(5)
}

#undef INGOT_VNNI_ROW
#undef INGOT_VNNI_STORE

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
