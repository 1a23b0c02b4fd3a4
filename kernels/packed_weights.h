// Weight packing: int8 weights [N, K] rearranged once at load time into the
// layout every GEMV/GEMM kernel table reads, plus per-row sums.
//
// Layout "block16x4" (the only one today; all tables use it):
//   data [N_pad / 16][K_pad / 4][16][4]
//   N_pad = N rounded up to 16, K_pad = K rounded up to 4, zero-filled.
// One 64-byte group holds 4 consecutive k of 16 consecutive rows, which is one
// zmm register for vpdpbusd (16 rows x 4 k), two ymm for vpmaddubsw, and four
// q registers for NEON sdot by lane. Row sums (sum_k W[n, k], |sum| <= 127 K)
// let the x86 kernels feed activations as unsigned bytes (x + 128) to the
// u8 x s8 instructions and subtract 128 * row_sum afterwards.
#pragma once

#include <cstdint>
#include <cstring>

namespace ingot::kernels {

inline constexpr int32_t kPackRows = 16;      // rows per block
inline constexpr int32_t kPackK = 4;          // k per group
inline constexpr int32_t kMaxK = 131072;      // 127 * 127 * K < 2^31 for K <= 2^17
inline constexpr int64_t kPackAlignment = 64; // recommended alignment of data

struct PackedS8Weights {
  const int8_t* data = nullptr;      // [n_pad / 16][k_pad / 4][16][4]
  const int32_t* row_sums = nullptr; // [n_pad], zero for padding rows
  int32_t n = 0;                     // logical rows (output features)
  int32_t k = 0;                     // logical columns (input features), <= kMaxK
  int32_t n_pad = 0;                 // n rounded up to kPackRows
  int32_t k_pad = 0;                 // k rounded up to kPackK
};

// Sizes of the buffers the caller allocates for PackS8Weights.
int64_t PackedS8DataBytes(int32_t n, int32_t k);    // n_pad * k_pad
int64_t PackedS8RowSumCount(int32_t n);             // n_pad

// Packs w [n, k] (row stride ldw >= k) into data / row_sums and returns the
// descriptor pointing at them. w must hold values in [-127, 127].
PackedS8Weights PackS8Weights(const int8_t* w, int32_t n, int32_t k, int64_t ldw,
                              int8_t* data, int32_t* row_sums);

// Offset of element (row, col) inside data: the layout, stated once.
static constexpr int64_t PackedS8Offset(int32_t k_pad, int32_t row, int32_t col) {
  return static_cast<int64_t>(row / kPackRows) * k_pad * kPackRows + (col / kPackK) * (kPackRows * kPackK) +
         (row % kPackRows) * kPackK + col % kPackK;
}

// Bytes 4g..4g+3 of an activation row x [k] as a uint32 (one kPackK group, the unit every
// kernel multiplies against a packed 16x4 block), zero-padded past k. Internal linkage, like
// fixed_point.h, so each ISA's translation unit compiles its own copy.
static inline uint32_t LoadGroup(const int8_t* x, int32_t k, int32_t g) {
  uint32_t v = 0;
  const int32_t start = kPackK * g;
  if (start + kPackK <= k) {
    std::memcpy(&v, x + start, kPackK);
  } else {
    for (int32_t i = 0; start + i < k; ++i) {
      v |= static_cast<uint32_t>(static_cast<uint8_t>(x[start + i])) << (8 * i);
    }
  }
  return v;
}

}  // namespace ingot::kernels
