// `bench kernels`: measures this machine's limits (memory read bandwidth,
// peak int8 dot-product throughput) and every kernel as a fraction of them,
// per ISA, with 1 and 2 threads.
#pragma once

namespace ingot {

// argv[0] is "kernels" (or the program name). Options:
//   --isa NAME   only this ISA (default: every ISA built and detected)
//   --quick      smaller repetitions (for smoke tests)
// Prints a report on stdout; returns 0, or 1 on a bad option or ISA.
int RunKernelBench(int argc, char** argv);

}  // namespace ingot
