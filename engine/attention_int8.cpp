#include "engine/attention_int8.h"

namespace ingot {

int32_t DotS8(const int8_t* a, const int8_t* b, int32_t n) {
  int32_t sum = 0;
  for (int32_t i = 0; i < n; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
}

void AccumulateWeightedS8(int32_t* acc, int32_t weight, const int8_t* v, int32_t n) {
  for (int32_t i = 0; i < n; ++i) acc[i] += weight * int32_t{v[i]};
}

}  // namespace ingot
