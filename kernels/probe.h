// Machine-limit probes for `bench kernels` and `bench MODEL`'s bandwidth: a streaming read and a
// chain of the ISA's int8 dot-product instruction, one set per ISA. Not in the kernel table:
// inference never calls them, and the table holds only what the engine runs.
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"
#include "kernels/ref/probe.h"

namespace ingot::kernels {

struct ProbeTable {
  Isa isa;
  decltype(&ref::MemoryReadProbe) memory_read;
  decltype(&ref::DotPeakProbe) dot_peak;
  int64_t dot_ops_per_iteration;  // integer operations of one dot_peak round (a multiply-add is 2)
};

// The probes of one ISA, or nullptr when it is not built into this binary. Like the kernel
// table's, they may only run where dispatch.h says the ISA is detected.
const ProbeTable* BuiltProbeTable(Isa isa);

}  // namespace ingot::kernels
