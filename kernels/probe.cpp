// The per-ISA probe tables. Baseline flags: this file only takes addresses.
#include "kernels/probe.h"

#include "kernels/built_isas.h"

namespace ingot::kernels {

namespace {

constexpr ProbeTable kProbeTables[] = {
    {Isa::kRef, ref::MemoryReadProbe, ref::DotPeakProbe, ref::kDotProbeOpsPerIteration},
#if defined(INGOT_BUILD_AVX2)
    {Isa::kAvx2, avx2::MemoryReadProbe, avx2::DotPeakProbe, avx2::kDotProbeOpsPerIteration},
#endif
#if defined(INGOT_BUILD_AVX512VNNI)
    {Isa::kAvx512Vnni, avx512vnni::MemoryReadProbe, avx512vnni::DotPeakProbe,
     avx512vnni::kDotProbeOpsPerIteration},
#endif
#if defined(INGOT_BUILD_NEON_DOT)
    {Isa::kNeonDot, neon_dot::MemoryReadProbe, neon_dot::DotPeakProbe, neon_dot::kDotProbeOpsPerIteration},
#endif
};

}  // namespace

const ProbeTable* BuiltProbeTable(Isa isa) {
  for (const ProbeTable& t : kProbeTables) {
    if (t.isa == isa) return &t;
  }
  return nullptr;
}

}  // namespace ingot::kernels
