// The per-ISA tables. This file is compiled with baseline flags and only
// takes addresses, so no ISA-specific code runs before dispatch decides.
#include "kernels/kernel_table.h"

#include "kernels/built_isas.h"

namespace ingot::kernels {

namespace {

constexpr KernelTable kRefTable = {
    Isa::kRef, "ref", WeightLayout::kBlock16x4,
    ref::GemvS8, ref::GemmS8,
    ref::GemvS8Grouped, ref::GemmS8Grouped,
    ref::GemvCodes, ref::GemmCodes,
    ref::RequantizeS32ToS32, ref::QuantizeRowS32ToS8, ref::QuantizeRowS32ToS8Grouped,
    ref::SoftmaxS32ToU16, ref::WeightedSumS8,
    ref::RmsNormS32, ref::LayerNormS32,
    ref::SiluS32, ref::GeluTanhS32,
    ref::RopeS32,
};

#if defined(INGOT_BUILD_AVX2)
constexpr KernelTable kAvx2Table = {
    Isa::kAvx2, "avx2", WeightLayout::kBlock16x4,
    avx2::GemvS8, avx2::GemmS8,
    avx2::GemvS8Grouped, avx2::GemmS8Grouped,
    avx2::GemvCodes, avx2::GemmCodes,
    avx2::RequantizeS32ToS32, avx2::QuantizeRowS32ToS8, avx2::QuantizeRowS32ToS8Grouped,
    avx2::SoftmaxS32ToU16, avx2::WeightedSumS8,
    ref::RmsNormS32, ref::LayerNormS32,  // not vectorized
    ref::SiluS32, ref::GeluTanhS32,      // not vectorized
    ref::RopeS32,                        // not vectorized
};
#endif

#if defined(INGOT_BUILD_AVX512VNNI)
constexpr KernelTable kAvx512VnniTable = {
    Isa::kAvx512Vnni, "avx512vnni", WeightLayout::kBlock16x4,
    avx512vnni::GemvS8, avx512vnni::GemmS8,
    avx512vnni::GemvS8Grouped, avx512vnni::GemmS8Grouped,
    avx512vnni::GemvCodes, avx512vnni::GemmCodes,
    avx512vnni::RequantizeS32ToS32, avx512vnni::QuantizeRowS32ToS8, avx512vnni::QuantizeRowS32ToS8Grouped,
    avx512vnni::SoftmaxS32ToU16, avx512vnni::WeightedSumS8,
    avx512vnni::RmsNormS32,
    ref::LayerNormS32,  // not vectorized
    avx512vnni::SiluS32, avx512vnni::GeluTanhS32,
    ref::RopeS32,  // not vectorized
};
#endif

#if defined(INGOT_BUILD_NEON_DOT)
constexpr KernelTable kNeonDotTable = {
    Isa::kNeonDot, "neon-dot", WeightLayout::kBlock16x4,
    neon_dot::GemvS8, neon_dot::GemmS8,
    neon_dot::GemvS8Grouped, neon_dot::GemmS8Grouped,
    neon_dot::GemvCodes, neon_dot::GemmCodes,
    ref::RequantizeS32ToS32, ref::QuantizeRowS32ToS8,  // not vectorized
    ref::QuantizeRowS32ToS8Grouped,                    // not vectorized
    ref::SoftmaxS32ToU16, ref::WeightedSumS8,           // not vectorized
    ref::RmsNormS32, ref::LayerNormS32,                // not vectorized
    ref::SiluS32, ref::GeluTanhS32,                    // not vectorized
    ref::RopeS32,                                      // not vectorized
};
#endif

}  // namespace

const KernelTable* BuiltKernelTable(Isa isa) {
  switch (isa) {
    case Isa::kRef: return &kRefTable;
#if defined(INGOT_BUILD_AVX2)
    case Isa::kAvx2: return &kAvx2Table;
#endif
#if defined(INGOT_BUILD_AVX512VNNI)
    case Isa::kAvx512Vnni: return &kAvx512VnniTable;
#endif
#if defined(INGOT_BUILD_NEON_DOT)
    case Isa::kNeonDot: return &kNeonDotTable;
#endif
    default: return nullptr;
  }
}

}  // namespace ingot::kernels
