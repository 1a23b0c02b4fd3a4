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

// This machine's memory read bandwidth, read by `threads` threads (0: all cores) with the best
// ISA's probe loads from a buffer of `bytes` in huge pages, like the int8 weights. `bench
// MODEL` measures it right next to each generation run: this VM's bandwidth moves a lot over
// seconds, so one measurement at another time would make its ratio noise.
class BandwidthProbe {
 public:
  BandwidthProbe(int threads, int64_t bytes);
  ~BandwidthProbe();
  BandwidthProbe(const BandwidthProbe&) = delete;
  BandwidthProbe& operator=(const BandwidthProbe&) = delete;

  int threads() const { return threads_; }
  int64_t bytes() const { return bytes_; }
  // GB/s: the best of repetitions lasting min_seconds in all.
  double GBs(double min_seconds) const;

 private:
  int threads_;
  int64_t bytes_;
  uint8_t* data_;
};

}  // namespace ingot
