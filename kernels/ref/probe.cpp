#include "kernels/ref/probe.h"

namespace ingot::kernels::ref {

int64_t MemoryReadProbe(const int8_t* data, int64_t size) {
  int64_t sum = 0;
  for (int64_t i = 0; i < size; ++i) sum += data[i];
  return sum;
}

int64_t DotPeakProbe(int64_t iterations) {
  // 4 independent chains of 4-element int8 dot products: 32 ops per round.
  int32_t acc[4] = {0, 1, 2, 3};
  volatile int8_t seed = 3;
  const int8_t a = seed;
  for (int64_t it = 0; it < iterations; ++it) {
    for (int32_t c = 0; c < 4; ++c) {
      acc[c] += a * static_cast<int8_t>(c + 1) + a * static_cast<int8_t>(c + 2) +
                a * static_cast<int8_t>(c + 3) + a * static_cast<int8_t>(c + 4);
      acc[c] ^= static_cast<int32_t>(it);
    }
  }
  return int64_t{acc[0]} + acc[1] + acc[2] + acc[3];
}

}  // namespace ingot::kernels::ref
