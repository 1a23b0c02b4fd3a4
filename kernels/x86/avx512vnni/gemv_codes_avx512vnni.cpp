// GEMV and GEMM of weight codes in groups (kernels/packed_codes.h) with vpdpbusd: the codes are
// the u8 operand as they are (no offset), the activations the s8 one. A 64-byte chunk of 16 rows
// unpacks into 8 / bits k-steps (a mask, and a shift per part); each step's 4 activation bytes
// are broadcast. A group's dots accumulate in their own registers, then fold into the totals:
// total += s * (dot - z * S) with S the group's activation sum (the GEMV: vpmulld twice, once
// for a symmetric matrix whose z * S is one scalar; the GEMM below folds z * S apart). With
// sub-scales (ffn_down's grouped activations) the fold is per 32 inputs, each dot shifted first.
// Every operation is exact modulo 2^32 and the bound (ref/gemv_codes.h) keeps the result in
// int32, so the order of the sums does not change a bit.
#include <immintrin.h>

#include "kernels/x86/avx512vnni/avx512vnni.h"
#include "kernels/x86/avx512vnni/s8_groups.h"

namespace ingot::kernels::avx512vnni {

namespace {

constexpr int32_t kChunkBytes = kPackRows * kPackK;  // 64
constexpr int64_t kPrefetchBytes = 2048;             // as gemv_s8_avx512vnni.cpp
constexpr int32_t kStepsPerSub = kActGroup / kPackK;  // 8 k-steps per 32 inputs

// Part p of a chunk of kBits-bit codes: one k-step of 16 rows as u8.
template <int kBits>
inline __m512i Unpack(__m512i v, int p) {
  if constexpr (kBits == 8) {
    return v;
  } else {
    const __m512i mask = _mm512_set1_epi8(static_cast<char>((1 << kBits) - 1));
    return _mm512_and_si512(p == 0 ? v : _mm512_srli_epi16(v, static_cast<unsigned>(kBits * p)), mask);
  }
}

// The 4 activation bytes of k-step `step` broadcast (zero past k).
inline __m512i Broadcast(const int8_t* q, int32_t k, int32_t step) {
  return _mm512_set1_epi32(static_cast<int32_t>(LoadGroup(q, k, step)));
}

inline __m512i LoadU8x16(const uint8_t* p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// Where the codes, scales and zeros of row block `block` start.
// total += s * (dot - z * sum): the fold of one group (or 32 inputs of it), for block pointers p
// at group g.
template <bool kAsym>
inline __m512i Fold(__m512i total, __m512i dot, const CodeBlock& p, int32_t g, int32_t sum, int32_t z) {
  const __m512i s = LoadU8x16(p.scales + g * kPackRows);
  __m512i zs;
  if constexpr (kAsym) {
    zs = _mm512_mullo_epi32(LoadU8x16(p.zeros + g * kPackRows), _mm512_set1_epi32(sum));
  } else {
    zs = _mm512_set1_epi32(z * sum);
  }
  return _mm512_add_epi32(total, _mm512_mullo_epi32(s, _mm512_sub_epi32(dot, zs)));
}

template <int kBits, bool kAsym, bool kShifts, int kBlocks>
void GemvBlocks(const PackedCodes& w, const CodeInput& x, int32_t block, int32_t n_begin, int32_t n_end, int32_t* y) {
  constexpr int32_t c = 8 / kBits;
  constexpr int32_t kChunksPerSub = kStepsPerSub / c;
  const int64_t block_bytes = static_cast<int64_t>(w.k_pad) * kPackRows * kBits / 8;
  CodeBlock p[kBlocks];
  for (int b = 0; b < kBlocks; ++b) p[b] = CodeBlockAt(w, block + b);
  const int32_t z = w.zero_point();
  __m512i total[kBlocks];
  for (int b = 0; b < kBlocks; ++b) total[b] = _mm512_setzero_si512();
  for (int32_t g = 0; g < w.groups(); ++g) {
    const CodeSubGroups subs = CodeSubGroupsOf(w, g);
    __m512i dot[kBlocks];
    for (int b = 0; b < kBlocks; ++b) dot[b] = _mm512_setzero_si512();
    int32_t sum = 0;
    for (int32_t j = subs.j_begin; j < subs.j_end; ++j) {
      for (int32_t ch = 0; ch < kChunksPerSub; ++ch) {
        const int32_t chunk = j * kChunksPerSub + ch;
        // Each stream prefetches kPrefetchBytes ahead; past its block's end, into the block it
        // reads next (kBlocks further on).
        int64_t ahead = static_cast<int64_t>(chunk) * kChunkBytes + kPrefetchBytes;
        if (ahead >= block_bytes) ahead += (kBlocks - 1) * block_bytes;
        __m512i v[kBlocks];
        for (int b = 0; b < kBlocks; ++b) {
          _mm_prefetch(reinterpret_cast<const char*>(p[b].data + ahead), _MM_HINT_T0);
          v[b] = _mm512_loadu_si512(p[b].data + static_cast<int64_t>(chunk) * kChunkBytes);
        }
        for (int part = 0; part < c; ++part) {
          const __m512i xg = Broadcast(x.q, w.k, chunk * c + part);
          for (int b = 0; b < kBlocks; ++b) dot[b] = _mm512_dpbusd_epi32(dot[b], Unpack<kBits>(v[b], part), xg);
        }
      }
      if constexpr (kShifts) {
        const __m128i shift = _mm_cvtsi32_si128(x.shifts[j]);
        for (int b = 0; b < kBlocks; ++b) {
          total[b] = Fold<kAsym>(total[b], _mm512_sll_epi32(dot[b], shift), p[b], g, x.sums[j], z);
          dot[b] = _mm512_setzero_si512();
        }
      } else {
        sum += x.sums[j];
      }
    }
    if constexpr (!kShifts) {
      for (int b = 0; b < kBlocks; ++b) total[b] = Fold<kAsym>(total[b], dot[b], p[b], g, sum, z);
    }
  }
  for (int b = 0; b < kBlocks; ++b) {
    _mm512_mask_storeu_epi32(y + (block + b) * kPackRows, RowMask(block + b, n_begin, n_end), total[b]);
  }
}

template <int kBits, bool kAsym, bool kShifts>
void Gemv(const PackedCodes& w, const CodeInput& x, int32_t n_begin, int32_t n_end, int32_t* y) {
  int32_t block = n_begin / kPackRows;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (; block + 4 <= block_end; block += 4) GemvBlocks<kBits, kAsym, kShifts, 4>(w, x, block, n_begin, n_end, y);
  for (; block < block_end; ++block) GemvBlocks<kBits, kAsym, kShifts, 1>(w, x, block, n_begin, n_end, y);
}

// GEMM: a tile of kRows activation rows x kBlocks row blocks (6 x 2, or 12 x 1 for a last odd
// block); the blocks' codes stay in L1 for all their tiles. Per activation row r and block b a
// group dot d<r>_<b> and a total t<r>_<b>, named registers: GCC 12 keeps an array of 24 zmm in
// memory (gemm_s8_avx512vnni.cpp).
constexpr int32_t kTileRows = 6;
constexpr int32_t kTileBlocks = 2;
// A group folds as t += s * d. Its zero-point term -s z S joins t apart, two groups at a time
// with one vpdpwssd on the caller's pairs of -S (CodeGroupPairs): s z and S are int16 (s z <=
// 255 * 128 but for 8-bit asymmetric codes, |S| <= 127 * 256 without shifts). Where they are
// not, with vpmulld per group.
#define INGOT_CODE_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

// s * z of the block's 16 rows at group g.
template <int kBits, bool kAsym>
inline __m512i ZeroScale(const CodeBlock& p, int32_t g) {
  const __m512i s = LoadU8x16(p.scales + g * kPackRows);
  if constexpr (!kAsym) {
    return _mm512_slli_epi32(s, kBits - 1);
  } else if constexpr (kBits == 8) {
    return _mm512_mullo_epi32(s, LoadU8x16(p.zeros + g * kPackRows));
  } else {
    return _mm512_madd_epi16(s, LoadU8x16(p.zeros + g * kPackRows));  // both < 2^15: one int16 product
  }
}

// Both blocks' registers of row r: X(r, 0) and, with kBlocks 2, X(r, 1).
#define INGOT_BLOCKS(X, r) \
  X(r, 0)                  \
  if constexpr (kBlocks > 1) X(r, 1)

template <int kBits, bool kAsym, bool kShifts, int kRows, int kBlocks>
void GemmTile(const CodeInput& a, const PackedCodes& w, const CodeBlock* p, bool stream, int32_t* c, int64_t ldc,
              const __mmask16* mask) {
  static_assert(kRows * kBlocks <= 12, "24 accumulators");
  constexpr int32_t cpb = 8 / kBits;
  constexpr int32_t kChunksPerSub = kStepsPerSub / cpb;
  constexpr bool kPairs = !kShifts && !(kBits == 8 && kAsym);
  const int32_t groups = w.groups();
  const int32_t whole_subs = w.k / kActGroup;
  const __m512i zero = _mm512_setzero_si512();
#define INGOT_DECLARE(r)                                                       \
  __m512i d##r##_0 = zero, t##r##_0 = zero, d##r##_1 = zero, t##r##_1 = zero; \
  const int8_t* q##r = a.q + ((r) < kRows ? (r) : 0) * a.ld_q;
  INGOT_CODE_ROWS(INGOT_DECLARE)
#undef INGOT_DECLARE
  int32_t shifted_sums[kRows] = {};  // with shifts: each row's S of the current group
  // The dots of one 32-input part; whole: all its inputs are below k.
  auto part_dots = [&](int32_t j, auto whole) {
    for (int32_t ch = 0; ch < kChunksPerSub; ++ch) {
      const int64_t offset = static_cast<int64_t>(j * kChunksPerSub + ch) * kChunkBytes;
      __m512i v[kBlocks];
      for (int b = 0; b < kBlocks; ++b) {
        if (stream) _mm_prefetch(reinterpret_cast<const char*>(p[b].data + offset + kPrefetchBytes), _MM_HINT_T0);
        v[b] = _mm512_loadu_si512(p[b].data + offset);
      }
#pragma GCC unroll 4
      for (int part = 0; part < cpb; ++part) {
        const int32_t step = (j * kChunksPerSub + ch) * cpb + part;
        const __m512i u0 = Unpack<kBits>(v[0], part);
        const __m512i u1 = kBlocks > 1 ? Unpack<kBits>(v[kBlocks - 1], part) : zero;
#define INGOT_DOT_BLOCK(r, b) d##r##_##b = _mm512_dpbusd_epi32(d##r##_##b, u##b, xb);
#define INGOT_DOT(r)                                                                                \
  if constexpr ((r) < kRows) {                                                                      \
    int32_t x = 0;                                                                                  \
    if constexpr (decltype(whole)::value) {                                                         \
      __builtin_memcpy(&x, q##r + kPackK * step, 4);                                                \
    } else {                                                                                        \
      x = static_cast<int32_t>(LoadGroup(q##r, w.k, step));                                         \
    }                                                                                               \
    const __m512i xb = _mm512_set1_epi32(x);                                                        \
    INGOT_BLOCKS(INGOT_DOT_BLOCK, r)                                                                \
  }
        INGOT_CODE_ROWS(INGOT_DOT)
#undef INGOT_DOT
#undef INGOT_DOT_BLOCK
      }
    }
  };
  for (int32_t g = 0; g < groups; ++g) {
    const CodeSubGroups subs = CodeSubGroupsOf(w, g);
    const __m512i s0 = LoadU8x16(p[0].scales + g * kPackRows);
    const __m512i s1 = LoadU8x16(p[kBlocks - 1].scales + g * kPackRows);
    for (int32_t j = subs.j_begin; j < subs.j_end; ++j) {
      if (j < whole_subs) {
        part_dots(j, std::true_type{});
      } else {
        part_dots(j, std::false_type{});
      }
      if constexpr (kShifts) {  // t += s * (d << sh), per 32 inputs
#define INGOT_FOLD_SHIFTED_BLOCK(r, b)                                                               \
  {                                                                                                   \
    t##r##_##b = _mm512_add_epi32(t##r##_##b, _mm512_mullo_epi32(s##b, _mm512_sllv_epi32(d##r##_##b, sh))); \
    d##r##_##b = zero;                                                                                \
  }
#define INGOT_FOLD_SHIFTED(r)                                                                       \
  if constexpr ((r) < kRows) {                                                                      \
    const __m512i sh = _mm512_set1_epi32(a.shifts[(r) * a.ld_groups + j]);                          \
    INGOT_BLOCKS(INGOT_FOLD_SHIFTED_BLOCK, r)                                                       \
    shifted_sums[r] += a.sums[(r) * a.ld_groups + j];                                               \
  }
        INGOT_CODE_ROWS(INGOT_FOLD_SHIFTED)
#undef INGOT_FOLD_SHIFTED
#undef INGOT_FOLD_SHIFTED_BLOCK
      }
    }
    if constexpr (!kShifts) {
#define INGOT_FOLD_BLOCK(r, b)                                                          \
  {                                                                                     \
    t##r##_##b = _mm512_add_epi32(t##r##_##b, _mm512_mullo_epi32(s##b, d##r##_##b)); \
    d##r##_##b = zero;                                                                  \
  }
#define INGOT_FOLD(r) \
  if constexpr ((r) < kRows) { INGOT_BLOCKS(INGOT_FOLD_BLOCK, r) }
      INGOT_CODE_ROWS(INGOT_FOLD)
#undef INGOT_FOLD
#undef INGOT_FOLD_BLOCK
    }
    if constexpr (kPairs) {
      if (g % 2 == 1 || g + 1 == groups) {
        const int32_t g0 = g & ~1;
        const bool two = g0 + 1 < groups;
        auto pair_scales = [&](const CodeBlock& pb) {
          return _mm512_or_si512(ZeroScale<kBits, kAsym>(pb, g0),
                                 two ? _mm512_slli_epi32(ZeroScale<kBits, kAsym>(pb, g0 + 1), 16) : zero);
        };
        const __m512i sz0 = pair_scales(p[0]);
        const __m512i sz1 = kBlocks > 1 ? pair_scales(p[kBlocks - 1]) : zero;
#define INGOT_ZERO_PAIR_BLOCK(r, b) t##r##_##b = _mm512_dpwssd_epi32(t##r##_##b, sz##b, sum);
#define INGOT_ZERO_PAIR(r)                                                                          \
  if constexpr ((r) < kRows) {                                                                      \
    const __m512i sum = _mm512_set1_epi32(a.pairs[(r) * a.ld_pairs + g0 / 2]);                      \
    INGOT_BLOCKS(INGOT_ZERO_PAIR_BLOCK, r)                                                          \
  }
        INGOT_CODE_ROWS(INGOT_ZERO_PAIR)
#undef INGOT_ZERO_PAIR
#undef INGOT_ZERO_PAIR_BLOCK
      }
    } else {
      const __m512i sz0 = ZeroScale<kBits, kAsym>(p[0], g);
      const __m512i sz1 = ZeroScale<kBits, kAsym>(p[kBlocks - 1], g);
#define INGOT_ZERO_ONE_BLOCK(r, b) t##r##_##b = _mm512_sub_epi32(t##r##_##b, _mm512_mullo_epi32(sz##b, sum));
#define INGOT_ZERO_ONE(r)                                                                           \
  if constexpr ((r) < kRows) {                                                                      \
    const __m512i sum = _mm512_set1_epi32(kShifts ? shifted_sums[r] : PairedSum(a.pairs[(r) * a.ld_pairs + g / 2], g)); \
    INGOT_BLOCKS(INGOT_ZERO_ONE_BLOCK, r)                                                           \
    if constexpr (kShifts) shifted_sums[r] = 0;                                                     \
  }
      INGOT_CODE_ROWS(INGOT_ZERO_ONE)
#undef INGOT_ZERO_ONE
#undef INGOT_ZERO_ONE_BLOCK
    }
  }
#define INGOT_STORE_BLOCK(r, b) _mm512_mask_storeu_epi32(c + (r) * ldc + (b) * kPackRows, mask[b], t##r##_##b);
#define INGOT_STORE(r) \
  if constexpr ((r) < kRows) { INGOT_BLOCKS(INGOT_STORE_BLOCK, r) }
  INGOT_CODE_ROWS(INGOT_STORE)
#undef INGOT_STORE
#undef INGOT_STORE_BLOCK
}

#undef INGOT_BLOCKS
#undef INGOT_CODE_ROWS

// Rows [m, m_count) of a, in tiles of kRows, then 4, 2 and 1 (kBlocks 1 also takes 8).
template <int kBits, bool kAsym, bool kShifts, int kBlocks, int kRows>
void GemmPanel(const CodeInput& a, int32_t m_count, const PackedCodes& w, const CodeBlock* p, bool stream, int32_t* c,
               int64_t ldc, const __mmask16* mask) {
  int32_t m = 0;
  for (; m + kRows <= m_count; m += kRows) {
    GemmTile<kBits, kAsym, kShifts, kRows, kBlocks>(CodeInputFrom(a, m), w, p, stream, c + m * ldc, ldc, mask);
  }
  auto tail = [&]<int kTail>() {
    if constexpr (kTail < kRows) {
      if (m + kTail > m_count) return;
      GemmTile<kBits, kAsym, kShifts, kTail, kBlocks>(CodeInputFrom(a, m), w, p, stream, c + m * ldc, ldc, mask);
      m += kTail;
    }
  };
  tail.template operator()<8>();
  tail.template operator()<4>();
  tail.template operator()<2>();
  tail.template operator()<1>();
}

template <int kBits, bool kAsym, bool kShifts>
void Gemm(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t n_begin, int32_t n_end, int32_t* c,
          int64_t ldc) {
  const bool stream = m_count <= 2;  // each code read about once: from memory, as the GEMV
  int32_t block = n_begin / kPackRows;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (; block + kTileBlocks <= block_end; block += kTileBlocks) {
    const CodeBlock p[2] = {CodeBlockAt(w, block), CodeBlockAt(w, block + 1)};
    const __mmask16 mask[2] = {RowMask(block, n_begin, n_end), RowMask(block + 1, n_begin, n_end)};
    GemmPanel<kBits, kAsym, kShifts, 2, kTileRows>(a, m_count, w, p, stream, c + block * kPackRows, ldc, mask);
  }
  if (block < block_end) {
    const CodeBlock p = CodeBlockAt(w, block);
    const __mmask16 mask = RowMask(block, n_begin, n_end);
    GemmPanel<kBits, kAsym, kShifts, 1, 2 * kTileRows>(a, m_count, w, &p, stream, c + block * kPackRows, ldc, &mask);
  }
}

}  // namespace

void GemvCodes(const PackedCodes& w, const CodeInput& x, int32_t n_begin, int32_t n_end, int32_t* y) {
  if (n_begin >= n_end) return;
  DispatchCodeKind(w, x.shifts != nullptr, [&]<int kBits, bool kAsym, bool kShifts>() {
    Gemv<kBits, kAsym, kShifts>(w, x, n_begin, n_end, y);
  });
}

void GemmCodes(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t n_begin, int32_t n_end, int32_t* c,
               int64_t ldc) {
  if (n_begin >= n_end || m_count <= 0) return;
  DispatchCodeKind(w, a.shifts != nullptr, [&]<int kBits, bool kAsym, bool kShifts>() {
    Gemm<kBits, kAsym, kShifts>(a, m_count, w, n_begin, n_end, c, ldc);
  });
}

}  // namespace ingot::kernels::avx512vnni
