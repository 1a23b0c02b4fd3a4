// `bench kernels`: measures this machine's limits (memory read bandwidth,
// peak int8 dot-product throughput) and every kernel as a fraction of them,
// per ISA, with 1 and 2 threads.
#pragma once

#include <cstdint>

namespace ingot {

// argv[0] is "kernels" (or the program name). Options:
//   --isa NAME   only this ISA (default: every ISA built and detected)
//   --quick      smaller repetitions (for smoke tests)
// Prints a report on stdout; returns 0, or 1 on a bad option or ISA.
int RunKernelBench(int argc, char** argv);

// This machine's memory read bandwidth in GB/s with `threads` threads, streaming a buffer of
// `bytes` with the best kernel table's loads, best of repetitions over min_seconds.
double MeasureReadBandwidthGBs(int threads, int64_t bytes, double min_seconds);
// The same over a caller's buffer (`bench MODEL` keeps one in huge pages, like the weights).
double ReadBandwidthGBs(const int8_t* data, int64_t bytes, int threads, double min_seconds);

}  // namespace ingot
