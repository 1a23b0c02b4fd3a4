// Machine-limit probes for `bench kernels` (not used by inference): a
// streaming read and a chain of the ISA's int8 dot-product instruction.
// Every ISA has the same two functions; kernels/probe.h picks one ISA's.
#pragma once

#include <cstdint>

namespace ingot::kernels::ref {

// Reads bytes [0, size) once and returns a checksum (so the loads stay).
int64_t MemoryReadProbe(const int8_t* data, int64_t size);

// Runs `iterations` rounds of the ISA's best int8 multiply-accumulate with
// enough independent chains to saturate the units; returns a checksum. Each
// round performs the ISA's kDotProbeOpsPerIteration integer operations
// (a multiply-add counts as 2).
int64_t DotPeakProbe(int64_t iterations);
// 4 independent chains of 4-element int8 dot products.
inline constexpr int64_t kDotProbeOpsPerIteration = 4 * 4 * 2;

}  // namespace ingot::kernels::ref
