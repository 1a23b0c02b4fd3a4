// GEMV and GEMM of weight codes in groups (kernels/packed_codes.h) with vpdpbusd: the codes are
// the u8 operand as they are (no offset), the activations the s8 one. A 64-byte chunk of 16 rows
// unpacks into 8 / bits k-steps (a mask, and a shift per part); each step's 4 activation bytes
// are broadcast. A group's dots accumulate in their own registers, then fold into the totals:
// total += s * (dot - z * S) with S the group's activation sum (vpmulld twice, once for a
// symmetric matrix whose z * S is one scalar). With sub-scales (ffn_down's grouped activations)
// the fold is per 32 inputs, each dot shifted first. The bound (ref/gemv_codes.h) makes every
// partial sum exact in int32.
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

// GEMM: a tile of kRows activation rows x kBlocks row blocks; per (row, block) a dot register and
// a total register. Each chunk is loaded once per block and unpacked once per part for all rows.
template <int kBits, bool kAsym, bool kShifts, int kRows, int kBlocks>
void GemmTile(const CodeInput& a, const PackedCodes& w, int32_t block, int32_t n_begin, int32_t n_end, int32_t* c,
              int64_t ldc) {
  constexpr int32_t cpb = 8 / kBits;
  constexpr int32_t kChunksPerSub = kStepsPerSub / cpb;
  CodeBlock p[kBlocks];
  for (int b = 0; b < kBlocks; ++b) p[b] = CodeBlockAt(w, block + b);
  const int32_t z = w.zero_point();
  const int32_t full_steps = w.k / kPackK;
  __m512i total[kRows][kBlocks];
  __m512i dot[kRows][kBlocks];
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 4
    for (int b = 0; b < kBlocks; ++b) total[r][b] = _mm512_setzero_si512();
  }
  for (int32_t g = 0; g < w.groups(); ++g) {
    const CodeSubGroups subs = CodeSubGroupsOf(w, g);
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 4
      for (int b = 0; b < kBlocks; ++b) dot[r][b] = _mm512_setzero_si512();
    }
    for (int32_t j = subs.j_begin; j < subs.j_end; ++j) {
      for (int32_t ch = 0; ch < kChunksPerSub; ++ch) {
        const int32_t chunk = j * kChunksPerSub + ch;
        __m512i v[kBlocks];
#pragma GCC unroll 4
        for (int b = 0; b < kBlocks; ++b) v[b] = _mm512_loadu_si512(p[b].data + static_cast<int64_t>(chunk) * kChunkBytes);
#pragma GCC unroll 4
        for (int part = 0; part < cpb; ++part) {
          const int32_t step = chunk * cpb + part;
          __m512i u[kBlocks];
#pragma GCC unroll 4
          for (int b = 0; b < kBlocks; ++b) u[b] = Unpack<kBits>(v[b], part);
#pragma GCC unroll 8
          for (int r = 0; r < kRows; ++r) {
            int32_t bytes = 0;
            if (step < full_steps) {
              __builtin_memcpy(&bytes, a.q + r * a.ld_q + kPackK * step, 4);
            } else {
              bytes = static_cast<int32_t>(LoadGroup(a.q + r * a.ld_q, w.k, step));
            }
            const __m512i xg = _mm512_set1_epi32(bytes);
#pragma GCC unroll 4
            for (int b = 0; b < kBlocks; ++b) dot[r][b] = _mm512_dpbusd_epi32(dot[r][b], u[b], xg);
          }
        }
      }
      if constexpr (kShifts) {
#pragma GCC unroll 8
        for (int r = 0; r < kRows; ++r) {
          const __m512i shift = _mm512_set1_epi32(a.shifts[r * a.ld_groups + j]);
          const int32_t sum = a.sums[r * a.ld_groups + j];
#pragma GCC unroll 4
          for (int b = 0; b < kBlocks; ++b) {
            total[r][b] = Fold<kAsym>(total[r][b], _mm512_sllv_epi32(dot[r][b], shift), p[b], g, sum, z);
            dot[r][b] = _mm512_setzero_si512();
          }
        }
      }
    }
    if constexpr (!kShifts) {
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
        int32_t sum = 0;
        for (int32_t j = subs.j_begin; j < subs.j_end; ++j) sum += a.sums[r * a.ld_groups + j];
#pragma GCC unroll 4
        for (int b = 0; b < kBlocks; ++b) total[r][b] = Fold<kAsym>(total[r][b], dot[r][b], p[b], g, sum, z);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 4
    for (int b = 0; b < kBlocks; ++b) {
      _mm512_mask_storeu_epi32(c + r * ldc + (block + b) * kPackRows, RowMask(block + b, n_begin, n_end), total[r][b]);
    }
  }
}

constexpr int32_t kTileRows = 6;
constexpr int32_t kTileBlocks = 2;

template <int kBits, bool kAsym, bool kShifts, int kBlocks>
void GemmPanel(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t block, int32_t n_begin,
               int32_t n_end, int32_t* c, int64_t ldc) {
  int32_t m = 0;
  for (; m + kTileRows <= m_count; m += kTileRows) {
    GemmTile<kBits, kAsym, kShifts, kTileRows, kBlocks>(CodeInputFrom(a, m), w, block, n_begin, n_end, c + m * ldc, ldc);
  }
  const CodeInput ar = CodeInputFrom(a, m);
  int32_t* cr = c + m * ldc;
  switch (m_count - m) {
    case 1: GemmTile<kBits, kAsym, kShifts, 1, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    case 2: GemmTile<kBits, kAsym, kShifts, 2, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    case 3: GemmTile<kBits, kAsym, kShifts, 3, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    case 4: GemmTile<kBits, kAsym, kShifts, 4, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    case 5: GemmTile<kBits, kAsym, kShifts, 5, kBlocks>(ar, w, block, n_begin, n_end, cr, ldc); break;
    default: break;
  }
}

template <int kBits, bool kAsym, bool kShifts>
void Gemm(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t n_begin, int32_t n_end, int32_t* c,
          int64_t ldc) {
  int32_t block = n_begin / kPackRows;
  const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
  for (; block + kTileBlocks <= block_end; block += kTileBlocks) {
    GemmPanel<kBits, kAsym, kShifts, kTileBlocks>(a, m_count, w, block, n_begin, n_end, c, ldc);
  }
  if (block < block_end) GemmPanel<kBits, kAsym, kShifts, 1>(a, m_count, w, block, n_begin, n_end, c, ldc);
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
