// The FP32 reference's dot product: its summation order is part of the oracle (every FP32 logit
// and accuracy figure depends on it), so it is pinned here, not left to a vectorizer.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/forward/fp32_ops.h"
#include "tests/test_util.h"

namespace ingot {
namespace {

// The order fp32::Dot promises, one element at a time: lane i % 4 over the whole blocks of four,
// the tail into lane 0, then (((0 + s0) + s1) + s2) + s3.
float DotSpec(const float* a, const float* b, int64_t n) {
  float lanes[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  const int64_t blocks_end = n / 4 * 4;
  for (int64_t i = 0; i < blocks_end; ++i) lanes[i % 4] = lanes[i % 4] + a[i] * b[i];
  for (int64_t i = blocks_end; i < n; ++i) lanes[0] = lanes[0] + a[i] * b[i];
  return (((0.0f + lanes[0]) + lanes[1]) + lanes[2]) + lanes[3];
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

TEST_CASE("fp32::Dot adds in its pinned order, bit for bit") {
  // Products 2^24, 1, -2^24, 1, 1: in order they sum to 2, four lanes give 1 (2^24 + 1 rounds
  // to 2^24 in lane 0 before -2^24 cancels it).
  const float a[5] = {16777216.0f, 1.0f, -16777216.0f, 1.0f, 1.0f};
  const float ones[5] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
  CHECK(fp32::Dot(a, ones, 5) == 1.0f);
  // A sum of -0 products is +0 (the 0 + s0 at the end).
  const float negative_zero[3] = {-0.0f, -0.0f, -0.0f};
  CHECK(Bits(fp32::Dot(negative_zero, ones, 3)) == Bits(0.0f));
  CHECK(Bits(fp32::Dot(a, ones, 0)) == Bits(0.0f));

  constexpr uint64_t kSeed = 20250611;
  test::Rng rng(kSeed);
  std::vector<float> x(4100), y(4100);
  std::vector<int64_t> lengths;
  for (int64_t n = 0; n <= 260; ++n) lengths.push_back(n);
  for (int64_t n : {288, 768, 1023, 1024, 1025, 4096}) lengths.push_back(n);  // d_model, d_ffn, ...
  for (int64_t n : lengths) {
    // Misaligned starts and magnitudes over 2^-20 .. 2^20, so rounding differs between orders.
    const int32_t xo = rng.Uniform(0, 3), yo = rng.Uniform(0, 3);
    for (int64_t i = 0; i < n; ++i) {
      x[static_cast<size_t>(xo + i)] = std::ldexp(rng.UniformFloat(-1.0f, 1.0f), rng.Uniform(-20, 20));
      y[static_cast<size_t>(yo + i)] = std::ldexp(rng.UniformFloat(-1.0f, 1.0f), rng.Uniform(-20, 20));
    }
    CAPTURE(kSeed);
    CAPTURE(n);
    const float* xs = x.data() + xo;
    const float* ys = y.data() + yo;
    CHECK(Bits(fp32::Dot(xs, ys, n)) == Bits(DotSpec(xs, ys, n)));
  }
}

}  // namespace
}  // namespace ingot
