// Machine-limit probes for `bench kernels` (not used by inference): a
// streaming read and a chain of the ISA's int8 dot-product instruction.
#pragma once

#include <cstdint>

namespace ingot::kernels::ref {

// Reads bytes [0, size) once and returns a checksum (so the loads stay).
int64_t MemoryReadProbe(const int8_t* data, int64_t size);

// Runs `iterations` rounds of the ISA's best int8 multiply-accumulate with
// enough independent chains to saturate the units; returns a checksum. Each
// round performs the table's dot_probe_ops_per_iteration integer operations
// (a multiply-add counts as 2).
int64_t DotPeakProbe(int64_t iterations);

}  // namespace ingot::kernels::ref
