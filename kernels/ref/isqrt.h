// Exact integer square root: floor(sqrt(n)).
// Newton's iteration x <- (x + n / x) / 2 from x0 = 2^ceil(bits(n) / 2) >= sqrt(n),
// stopping at the first non-decrease (I-BERT's Algorithm 4 initialisation; the
// I-ViT variant with a fixed start and count is wrong below ~1e5). Exact for
// every 64-bit n; at most 6 updates for 32-bit n.
#pragma once

#include <cstdint>

#include "kernels/fixed_point.h"

namespace ingot::kernels::ref {

static constexpr uint64_t Isqrt64(uint64_t n) {
  if (n == 0) return 0;
  uint64_t x = uint64_t{1} << ((BitLength(n) + 1) / 2);  // <= 2^32
  for (;;) {
    const uint64_t y = (x + n / x) / 2;
    if (y >= x) return x;
    x = y;
  }
}

static constexpr uint32_t Isqrt32(uint32_t n) { return static_cast<uint32_t>(Isqrt64(n)); }

}  // namespace ingot::kernels::ref
