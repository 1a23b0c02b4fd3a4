// Integer sine and cosine, and the fixed-point RoPE tables built at load.
#pragma once

#include <cstdint>

namespace ingot::kernels::ref {

struct SinCosQ30 {
  int32_t sin = 0;  // sin(angle) * 2^30
  int32_t cos = 0;  // cos(angle) * 2^30
};

// angle = turns / 2^32 of a full circle (wraps naturally). Octant reduction to
// [0, pi/4], then Taylor polynomials (sin to x^11, cos to x^12) in Q31.
// Stated error: |result / 2^30 - exact| <= 3 * 2^-30.
SinCosQ30 SinCosTurns(uint32_t turns);

// Tables for RoPE: for p in [0, n_pos) and i in [0, half):
//   angle(p, i) = p * freq_turns_q64[i] / 2^64 turns (mod 1, exact wrap-around)
//   cos_q30[p * half + i], sin_q30[p * half + i] = SinCosTurns(round(angle * 2^32))
// freq_turns_q64[i] = round(2^64 * theta_i / (2 pi)) with theta_i =
// base^(-2 i / rot_dim) is computed by the caller at load time.
void BuildRopeTablesQ30(const uint64_t* freq_turns_q64, int32_t half,  // [half]
                        int32_t n_pos,
                        int32_t* cos_q30, int32_t* sin_q30);  // each [n_pos, half]

}  // namespace ingot::kernels::ref
