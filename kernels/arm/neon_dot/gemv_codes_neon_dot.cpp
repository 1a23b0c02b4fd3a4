// GEMV and GEMM of weight codes in groups (kernels/packed_codes.h) with sdot by lane. A 64-byte
// chunk is four q registers (4 rows x 4 k each), unpacked part by part. 2- and 4-bit codes are
// small enough to be sdot's signed operand as they are; an 8-bit code is taken as two nibbles,
// the high one's dot shifted left by 4. One q register of activations holds 4 k-steps, selected
// by lane. A group's dots fold into the totals as in the x86 kernels: total += s * (dot - z * S).
#include <arm_neon.h>

#include "kernels/arm/neon_dot/neon_common.h"
#include "kernels/arm/neon_dot/neon_dot.h"

namespace ingot::kernels::neon_dot {

namespace {

constexpr int32_t kChunkBytes = kPackRows * kPackK;    // 64
constexpr int32_t kStepsPerSub = kActGroup / kPackK;    // 8 k-steps per 32 inputs

// Part p of 16 bytes of kBits-bit codes (8-bit: the whole byte).
template <int kBits>
inline uint8x16_t Unpack(uint8x16_t v, int p) {
  if constexpr (kBits == 8) {
    return v;
  } else {
    const uint8x16_t mask = vdupq_n_u8(static_cast<uint8_t>((1 << kBits) - 1));
    switch (p) {
      case 0: return vandq_u8(v, mask);
      case 1: return vandq_u8(vshrq_n_u8(v, kBits), mask);
      case 2: return vandq_u8(vshrq_n_u8(v, 2 * kBits < 8 ? 2 * kBits : 7), mask);
      default: return vandq_u8(vshrq_n_u8(v, 3 * kBits < 8 ? 3 * kBits : 7), mask);
    }
  }
}

// dot += codes (4 rows x 4 k) . lane `lane` of xv.
template <int kBits, int kLane>
inline int32x4_t DotStep(int32x4_t dot, uint8x16_t codes, int8x16_t xv) {
  if constexpr (kBits == 8) {
    const uint8x16_t nibble = vdupq_n_u8(0x0F);
    const int32x4_t lo = vdotq_laneq_s32(vdupq_n_s32(0), vreinterpretq_s8_u8(vandq_u8(codes, nibble)), xv, kLane);
    const int32x4_t hi = vdotq_laneq_s32(vdupq_n_s32(0), vreinterpretq_s8_u8(vshrq_n_u8(codes, 4)), xv, kLane);
    return vaddq_s32(dot, vaddq_s32(lo, vshlq_n_s32(hi, 4)));
  } else {
    return vdotq_laneq_s32(dot, vreinterpretq_s8_u8(codes), xv, kLane);
  }
}

template <int kBits>
inline int32x4_t DotLane(int32x4_t dot, uint8x16_t codes, int8x16_t xv, int lane) {
  switch (lane) {
    case 0: return DotStep<kBits, 0>(dot, codes, xv);
    case 1: return DotStep<kBits, 1>(dot, codes, xv);
    case 2: return DotStep<kBits, 2>(dot, codes, xv);
    default: return DotStep<kBits, 3>(dot, codes, xv);
  }
}

// 16 bytes widened to four int32x4 (rows 4q .. 4q + 3 in out[q]).
inline void LoadU8x16(const uint8_t* p, int32x4_t (&out)[4]) {
  const uint8x16_t v = vld1q_u8(p);
  const uint16x8_t lo = vmovl_u8(vget_low_u8(v)), hi = vmovl_u8(vget_high_u8(v));
  out[0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(lo)));
  out[1] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(lo)));
  out[2] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(hi)));
  out[3] = vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(hi)));
}

// total += s * (dot - z * sum) for the 16 rows of the block at p, group g; sum in every lane
// (scalars reach the vectors through memory, ld1r: a move from a general register would be an
// fmov, which the no-float check rejects).
template <int kBits, bool kAsym>
inline void Fold(int32x4_t (&total)[4], const int32x4_t (&dot)[4], const CodeBlock& p, int32_t g, int32x4_t sum) {
  __asm__("" : "+w"(sum));  // a vector as loaded: GCC would otherwise rebuild it from a scalar
  int32x4_t s[4];
  LoadU8x16(p.scales + g * kPackRows, s);
  int32x4_t zs[4];
  if constexpr (kAsym) {
    LoadU8x16(p.zeros + g * kPackRows, zs);
    for (int q = 0; q < 4; ++q) zs[q] = vmulq_s32(zs[q], sum);
  } else {
    for (int q = 0; q < 4; ++q) zs[q] = vshlq_n_s32(sum, kBits - 1);
  }
  for (int q = 0; q < 4; ++q) total[q] = vmlaq_s32(total[q], s[q], vsubq_s32(dot[q], zs[q]));
}

// kRows activation rows x one row block (four quarters of 4 rows).
template <int kBits, bool kAsym, bool kShifts, int kRows>
void Tile(const CodeInput& a, const PackedCodes& w, int32_t block, int32_t n_begin, int32_t n_end, int32_t* c,
          int64_t ldc) {
  constexpr int32_t cpb = 8 / kBits;
  constexpr int32_t kChunksPerSub = kStepsPerSub / cpb;
  const CodeBlock p = CodeBlockAt(w, block);
  int32x4_t total[kRows][4], dot[kRows][4];
  for (int r = 0; r < kRows; ++r) {
    for (int q = 0; q < 4; ++q) total[r][q] = vdupq_n_s32(0);
  }
  for (int32_t g = 0; g < w.groups(); ++g) {
    const CodeSubGroups subs = CodeSubGroupsOf(w, g);
    const int32_t j_begin = subs.j_begin, j_end = subs.j_end;
    for (int r = 0; r < kRows; ++r) {
      for (int q = 0; q < 4; ++q) dot[r][q] = vdupq_n_s32(0);
    }
    for (int32_t j = j_begin; j < j_end; ++j) {
      // The 32 inputs of sub-group j: 8 k-steps, two q registers of activations per row.
      int8x16_t xv[kRows][2];
      for (int r = 0; r < kRows; ++r) {
        xv[r][0] = LoadChunk(a.q + r * a.ld_q, w.k, 2 * j);
        xv[r][1] = LoadChunk(a.q + r * a.ld_q, w.k, 2 * j + 1);
      }
      for (int32_t ch = 0; ch < kChunksPerSub; ++ch) {
        const int32_t chunk = j * kChunksPerSub + ch;
        const uint8_t* at = p.data + static_cast<int64_t>(chunk) * kChunkBytes;
        for (int q = 0; q < 4; ++q) {
          const uint8x16_t v = vld1q_u8(at + 16 * q);
          for (int part = 0; part < cpb; ++part) {
            const int32_t step = (chunk * cpb + part) - j * kStepsPerSub;  // 0..7 within the sub-group
            const uint8x16_t codes = Unpack<kBits>(v, part);
            for (int r = 0; r < kRows; ++r) dot[r][q] = DotLane<kBits>(dot[r][q], codes, xv[r][step / 4], step % 4);
          }
        }
      }
      if constexpr (kShifts) {
        for (int r = 0; r < kRows; ++r) {
          // sshl reads each lane's low byte: the shift byte repeated is the shift.
          const int32x4_t shift = vreinterpretq_s32_u8(vld1q_dup_u8(a.shifts + r * a.ld_groups + j));
          for (int q = 0; q < 4; ++q) dot[r][q] = vshlq_s32(dot[r][q], shift);
          Fold<kBits, kAsym>(total[r], dot[r], p, g, vld1q_dup_s32(a.sums + r * a.ld_groups + j));
          for (int q = 0; q < 4; ++q) dot[r][q] = vdupq_n_s32(0);
        }
      }
    }
    if constexpr (!kShifts) {
      for (int r = 0; r < kRows; ++r) {
        int32x4_t sum = vdupq_n_s32(0);
        for (int32_t j = j_begin; j < j_end; ++j) sum = vaddq_s32(sum, vld1q_dup_s32(a.sums + r * a.ld_groups + j));
        Fold<kBits, kAsym>(total[r], dot[r], p, g, sum);
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int q = 0; q < 4; ++q) StoreRows(c + r * ldc, block * kPackRows + 4 * q, n_begin, n_end, total[r][q]);
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
    const int32_t block_end = (n_end + kPackRows - 1) / kPackRows;
    for (int32_t block = n_begin / kPackRows; block < block_end; ++block) {
      int32_t m = 0;
      for (; m + 2 <= m_count; m += 2) {
        Tile<kBits, kAsym, kShifts, 2>(CodeInputFrom(a, m), w, block, n_begin, n_end, c + m * ldc, ldc);
      }
      if (m < m_count) Tile<kBits, kAsym, kShifts, 1>(CodeInputFrom(a, m), w, block, n_begin, n_end, c + m * ldc, ldc);
    }
  });
}

}  // namespace ingot::kernels::neon_dot
