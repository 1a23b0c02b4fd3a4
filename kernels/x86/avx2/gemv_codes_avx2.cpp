// GEMV and GEMM of weight codes in groups (kernels/packed_codes.h) with vpmaddubsw: the codes are
// its u8 operand as they are, the activations its s8 one, and vpmaddwd by 1 widens the pairs to
// int32. A 64-byte chunk is two ymm (rows 0-7 and 8-15). Pairs of 2- and 4-bit codes stay below
// 2 * 15 * 127 in int16; an 8-bit code is taken as two nibbles, the high one's pairs widened by
// vpmaddwd with 16 instead of 1, so vpmaddubsw never saturates. A group's dots fold into the
// totals as in the AVX-512 kernels: total += s * (dot - z * S), with vpmulld.
#include <immintrin.h>

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd_avx2.h"

namespace ingot::kernels::avx2 {

namespace {

constexpr int32_t kChunkBytes = kPackRows * kPackK;    // 64
constexpr int64_t kPrefetchBytes = 2048;               // as gemv_s8_avx2.cpp
constexpr int32_t kStepsPerSub = kActGroup / kPackK;    // 8 k-steps per 32 inputs

// dot += (codes of one k-step of 8 rows) . xg, for kBits-bit codes unpacked as u8 in `codes`.
template <int kBits>
inline __m256i DotStep(__m256i dot, __m256i codes, __m256i xg) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (kBits == 8) {
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i lo = _mm256_and_si256(codes, nibble);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(codes, 4), nibble);
    dot = _mm256_add_epi32(dot, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, xg), ones));
    return _mm256_add_epi32(dot, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, xg), _mm256_set1_epi16(16)));
  } else {
    return _mm256_add_epi32(dot, _mm256_madd_epi16(_mm256_maddubs_epi16(codes, xg), ones));
  }
}

// Part p of 32 bytes of kBits-bit codes as u8.
template <int kBits>
inline __m256i Unpack(__m256i v, int p) {
  if constexpr (kBits == 8) {
    return v;
  } else {
    const __m256i mask = _mm256_set1_epi8(static_cast<char>((1 << kBits) - 1));
    return _mm256_and_si256(p == 0 ? v : _mm256_srli_epi16(v, kBits * p), mask);
  }
}

inline __m256i LoadU8x8(const uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

// total += s * (dot - z * sum) for the 8 rows of half h of the block at p, group g.
template <bool kAsym>
inline __m256i Fold(__m256i total, __m256i dot, const CodeBlock& p, int32_t g, int h, int32_t sum, int32_t z) {
  const __m256i s = LoadU8x8(p.scales + g * kPackRows + 8 * h);
  __m256i zs;
  if constexpr (kAsym) {
    zs = _mm256_mullo_epi32(LoadU8x8(p.zeros + g * kPackRows + 8 * h), _mm256_set1_epi32(sum));
  } else {
    zs = _mm256_set1_epi32(z * sum);
  }
  return _mm256_add_epi32(total, _mm256_mullo_epi32(s, _mm256_sub_epi32(dot, zs)));
}

// kRows activation rows x one row block (two halves of 8 rows); kRows 1 is the GEMV.
template <int kBits, bool kAsym, bool kShifts, int kRows>
void Tile(const CodeInput& a, const PackedCodes& w, int32_t block, int32_t n_begin, int32_t n_end, int32_t* c,
          int64_t ldc) {
  constexpr int32_t cpb = 8 / kBits;
  constexpr int32_t kChunksPerSub = kStepsPerSub / cpb;
  const CodeBlock p = CodeBlockAt(w, block);
  const int64_t block_bytes = static_cast<int64_t>(w.k_pad) * kPackRows * kBits / 8;
  const int32_t z = w.zero_point();
  __m256i total[kRows][2], dot[kRows][2];
  for (int r = 0; r < kRows; ++r) total[r][0] = total[r][1] = _mm256_setzero_si256();
  for (int32_t g = 0; g < w.groups(); ++g) {
    const CodeSubGroups subs = CodeSubGroupsOf(w, g);
    for (int r = 0; r < kRows; ++r) dot[r][0] = dot[r][1] = _mm256_setzero_si256();
    for (int32_t j = subs.j_begin; j < subs.j_end; ++j) {
      for (int32_t ch = 0; ch < kChunksPerSub; ++ch) {
        const int32_t chunk = j * kChunksPerSub + ch;
        const uint8_t* at = p.data + static_cast<int64_t>(chunk) * kChunkBytes;
        if constexpr (kRows == 1) {
          if (chunk * kChunkBytes + kPrefetchBytes < block_bytes) _mm_prefetch(reinterpret_cast<const char*>(at + kPrefetchBytes), _MM_HINT_T0);
        }
        const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
        const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 32));
        for (int part = 0; part < cpb; ++part) {
          const int32_t step = chunk * cpb + part;
          const __m256i u0 = Unpack<kBits>(v0, part), u1 = Unpack<kBits>(v1, part);
          for (int r = 0; r < kRows; ++r) {
            const __m256i xg = _mm256_set1_epi32(static_cast<int32_t>(LoadGroup(a.q + r * a.ld_q, w.k, step)));
            dot[r][0] = DotStep<kBits>(dot[r][0], u0, xg);
            dot[r][1] = DotStep<kBits>(dot[r][1], u1, xg);
          }
        }
      }
      if constexpr (kShifts) {
        for (int r = 0; r < kRows; ++r) {
          const __m128i shift = _mm_cvtsi32_si128(a.shifts[r * a.ld_groups + j]);
          const int32_t sum = a.sums[r * a.ld_groups + j];
          for (int h = 0; h < 2; ++h) {
            total[r][h] = Fold<kAsym>(total[r][h], _mm256_sll_epi32(dot[r][h], shift), p, g, h, sum, z);
            dot[r][h] = _mm256_setzero_si256();
          }
        }
      }
    }
    if constexpr (!kShifts) {
      for (int r = 0; r < kRows; ++r) {
        int32_t sum = 0;
        for (int32_t j = subs.j_begin; j < subs.j_end; ++j) sum += a.sums[r * a.ld_groups + j];
        for (int h = 0; h < 2; ++h) total[r][h] = Fold<kAsym>(total[r][h], dot[r][h], p, g, h, sum, z);
      }
    }
  }
  const int32_t row0 = block * kPackRows;
  for (int r = 0; r < kRows; ++r) {
    StoreRows(c + r * ldc, row0, n_begin, n_end, total[r][0]);
    StoreRows(c + r * ldc, row0 + 8, n_begin, n_end, total[r][1]);
  }
}

template <int kBits, bool kAsym, bool kShifts>
void Gemm(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t n_begin, int32_t n_end, int32_t* c,
          int64_t ldc) {
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (int32_t block = n_begin / kPackRows; block < block_end; ++block) {
    int32_t m = 0;
    for (; m + 2 <= m_count; m += 2) {
      Tile<kBits, kAsym, kShifts, 2>(CodeInputFrom(a, m), w, block, n_begin, n_end, c + m * ldc, ldc);
    }
    if (m < m_count) Tile<kBits, kAsym, kShifts, 1>(CodeInputFrom(a, m), w, block, n_begin, n_end, c + m * ldc, ldc);
  }
}

}  // namespace

void GemvCodes(const PackedCodes& w, const CodeInput& x, int32_t n_begin, int32_t n_end, int32_t* y) {
  if (n_begin >= n_end) return;
  DispatchCodeKind(w, x.shifts != nullptr, [&]<int kBits, bool kAsym, bool kShifts>() {
    const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
    for (int32_t block = n_begin / kPackRows; block < block_end; ++block) {
      Tile<kBits, kAsym, kShifts, 1>(x, w, block, n_begin, n_end, y, 0);
    }
  });
}

void GemmCodes(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t n_begin, int32_t n_end, int32_t* c,
               int64_t ldc) {
  if (n_begin >= n_end || m_count <= 0) return;
  DispatchCodeKind(w, a.shifts != nullptr, [&]<int kBits, bool kAsym, bool kShifts>() {
    Gemm<kBits, kAsym, kShifts>(a, m_count, w, n_begin, n_end, c, ldc);
  });
}

}  // namespace ingot::kernels::avx2
