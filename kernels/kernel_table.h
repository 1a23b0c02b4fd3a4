// The kernel table: one set of function pointers per ISA, chosen once at
// model load (dispatch.h). Every entry has exactly the signature of the
// reference kernel of the same name in kernels/ref/ (the spec); an ISA that
// does not vectorize an op points the entry at ref:: explicitly. The table
// holds only what the engine calls: bench's probes live in probe.h, and
// ref::GeluS32 (i-erf GELU, the measured alternative) has no entry.
#pragma once

#include <cstdint>

#include "kernels/ref/ref.h"

namespace ingot::kernels {

using ref::RopeLayout;

enum class Isa : int32_t { kRef = 0, kAvx2 = 1, kAvx512Vnni = 2, kNeonDot = 3 };
inline constexpr int32_t kIsaCount = 4;

enum class WeightLayout : int32_t { kBlock16x4 = 0 };  // packed_weights.h

struct KernelTable {
  Isa isa;
  const char* name;            // "ref", "avx2", "avx512vnni", "neon-dot"
  WeightLayout weight_layout;  // what PackS8Weights must produce for this table

  decltype(&ref::GemvS8) gemv_s8;
  decltype(&ref::GemmS8) gemm_s8;
  decltype(&ref::GemvS8Grouped) gemv_s8_grouped;
  decltype(&ref::GemmS8Grouped) gemm_s8_grouped;
  decltype(&ref::GemvCodes) gemv_codes;
  decltype(&ref::GemmCodes) gemm_codes;
  decltype(&ref::RequantizeS32ToS32) requantize_s32_to_s32;
  decltype(&ref::QuantizeRowS32ToS8) quantize_row_s32_to_s8;
  decltype(&ref::QuantizeRowS32ToS8Grouped) quantize_row_s32_to_s8_grouped;
  decltype(&ref::SoftmaxS32ToU16) softmax_s32_to_u16;
  decltype(&ref::WeightedSumS8) weighted_sum_s8;
  decltype(&ref::RmsNormS32) rms_norm_s32;
  decltype(&ref::LayerNormS32) layer_norm_s32;
  decltype(&ref::SiluS32) silu_s32;
  decltype(&ref::GeluTanhS32) gelu_tanh_s32;
  decltype(&ref::RopeS32) rope_s32;
};

// The table of one ISA, or nullptr when it is not built into this binary.
// (Whether the CPU can run it is dispatch.h's business.)
const KernelTable* BuiltKernelTable(Isa isa);

}  // namespace ingot::kernels
