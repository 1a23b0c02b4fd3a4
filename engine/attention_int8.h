// The integer attention's two inner loops, in their own translation unit so the compiler may
// vectorize them (integer instructions only; the no-float test disassembles this object too).
#pragma once

#include <cstdint>

namespace ingot {

// sum_i a[i] * b[i]; |sum| <= 127^2 n < 2^31 for n < 2^17.
int32_t DotS8(const int8_t* a, const int8_t* b, int32_t n);

// acc[i] += weight * v[i] for i < n (|weight| < 2^16: no overflow over the attention's positions,
// see forward_int8.cpp).
void AccumulateWeightedS8(int32_t* acc, int32_t weight, const int8_t* v, int32_t n);

}  // namespace ingot
