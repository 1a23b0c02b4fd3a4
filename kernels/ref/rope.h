// RoPE: fixed-point rotation of q/k head rows by cos/sin tables (Q30).
#pragma once

#include <cstdint>

namespace ingot::kernels::ref {

enum class RopeLayout : int32_t {
  kInterleaved = 0,  // pairs (x[2i], x[2i+1]): llama2.c, GGUF llama
  kHalves = 1,       // pairs (x[i], x[i + rot_dim/2]): GPT-NeoX style
};

// For each of n_heads rows (x + h * head_stride) and each pair i < rot_dim/2,
// with c = cos_q30[i], s = sin_q30[i] (one position's table row):
//   a' = Sat(round((a c - b s) / 2^30)),  b' = Sat(round((a s + b c) / 2^30))
// (ties toward +inf). In place; elements from rot_dim on are untouched.
// The rotation keeps the norm, so the output scale is the input scale; a
// single component can grow by up to sqrt 2, so inputs beyond 2^31 / sqrt 2
// can saturate. Products: |a c - b s| < 2^62 in int64.
void RopeS32(int32_t* x, int32_t n_heads, int64_t head_stride, int32_t rot_dim,
             const int32_t* cos_q30, const int32_t* sin_q30, RopeLayout layout);

}  // namespace ingot::kernels::ref
