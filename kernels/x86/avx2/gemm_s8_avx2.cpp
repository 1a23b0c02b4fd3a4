// GEMM with vpmaddubsw/vpmaddwd: register tile of up to 4 activation rows x
// one 16-row weight block (8 ymm accumulators); each weight panel is reused
// by every activation tile. Sign trick and bound as in gemv_s8_avx2.cpp.
#include <immintrin.h>

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd_avx2.h"

namespace ingot::kernels::avx2 {

namespace {

constexpr int32_t kBlockBytes = kPackRows * kPackK;  // 64
constexpr int32_t kTileRows = 4;

// Accumulators are named registers c<row><half> rather than an array: GCC 12
// keeps such arrays in memory (a store per step). Unused rows compile away.
#define INGOT_AVX2_ROW(r)                                         \
  if constexpr ((r) < kRows) {                                    \
    const __m256i xg = _mm256_set1_epi32(LoadA(r));               \
    const __m256i ax = _mm256_abs_epi8(xg);                       \
    c##r##0 = DotAdd(c##r##0, ax, xg, w0, ones16);                \
    c##r##1 = DotAdd(c##r##1, ax, xg, w1, ones16);                \
  }

#define INGOT_AVX2_STORE(r)                                       \
  if constexpr ((r) < kRows) {                                    \
    StoreRows(c + (r) * ldc, row0, n_begin, n_end, c##r##0);      \
    StoreRows(c + (r) * ldc, row0 + 8, n_begin, n_end, c##r##1);  \
  }

template <int kRows>
void GemmTile(const int8_t* a, int64_t lda, const PackedS8Weights& w, int32_t block, int32_t n_begin,
              int32_t n_end, int32_t* c, int64_t ldc) {
  const int32_t groups = w.k_pad / kPackK;
  const int32_t full_groups = w.k / kPackK;
  const int8_t* base = w.data + block * static_cast<int64_t>(w.k_pad) * kPackRows;
  const __m256i ones16 = _mm256_set1_epi16(1);
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
          c31 = c00;
  int32_t g = 0;
  auto LoadA = [&](int32_t r) {  // activation group g of row r, zero-padded at the end
    int32_t group = 0;
    if (g < full_groups) {
      __builtin_memcpy(&group, a + r * lda + 4 * g, 4);
    } else {
      group = static_cast<int32_t>(LoadGroup(a + r * lda, w.k, g));
    }
    return group;
  };
  for (; g < groups; ++g) {
    const int8_t* p = base + static_cast<int64_t>(g) * kBlockBytes;
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    INGOT_AVX2_ROW(0)
    INGOT_AVX2_ROW(1)
    INGOT_AVX2_ROW(2)
    INGOT_AVX2_ROW(3)
  }
  const int32_t row0 = block * kPackRows;
  INGOT_AVX2_STORE(0)
  INGOT_AVX2_STORE(1)
  INGOT_AVX2_STORE(2)
  INGOT_AVX2_STORE(3)
}

#undef INGOT_AVX2_ROW
#undef INGOT_AVX2_STORE

}  // namespace

void GemmS8(const int8_t* a, int64_t lda, int32_t m_count, const PackedS8Weights& w, int32_t n_begin,
            int32_t n_end, int32_t* c, int64_t ldc) {
  if (n_begin >= n_end || m_count <= 0) return;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (int32_t block = n_begin / kPackRows; block < block_end; ++block) {
    int32_t m = 0;
    for (; m + kTileRows <= m_count; m += kTileRows) {
      GemmTile<kTileRows>(a + m * lda, lda, w, block, n_begin, n_end, c + m * ldc, ldc);
    }
    const int8_t* ar = a + m * lda;
    int32_t* cr = c + m * ldc;
    switch (m_count - m) {
      case 1: GemmTile<1>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
      case 2: GemmTile<2>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
      case 3: GemmTile<3>(ar, lda, w, block, n_begin, n_end, cr, ldc); break;
      default: break;
    }
  }
}

}  // namespace ingot::kernels::avx2
