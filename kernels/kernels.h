// The integer kernel library, one include for its users (the engine):
//   fixed_point.h    rounding helpers; THE tie rule (round half toward +inf)
//   dyadic.h         Dyadic {m, e} = m * 2^-e scales and their arithmetic
//   packed_weights.h load-time weight packing (block16x4 + row sums)
//   kernel_table.h   the per-ISA function table; kernels/ref/ is the spec
//   dispatch.h       choosing the table (built, detected, INGOT_ISA)
//   threaded_ops.h   row-partitioned multi-threaded drivers (parallel.h)
// No float, no I/O and no allocation inside kernels/; see kernels/README.md.
#pragma once

#include "kernels/dispatch.h"
#include "kernels/dyadic.h"
#include "kernels/fixed_point.h"
#include "kernels/kernel_table.h"
#include "kernels/packed_weights.h"
#include "kernels/parallel.h"
#include "kernels/threaded_ops.h"
