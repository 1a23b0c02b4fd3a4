#include "kernels/ref/rope.h"

#include "kernels/fixed_point.h"

namespace ingot::kernels::ref {

void RopeS32(int32_t* x, int32_t n_heads, int64_t head_stride, int32_t rot_dim, const int32_t* cos_q30,
             const int32_t* sin_q30, RopeLayout layout) {
  const int32_t half = rot_dim / 2;
  for (int32_t h = 0; h < n_heads; ++h) {
    int32_t* row = x + h * head_stride;  // [rot_dim]
    for (int32_t i = 0; i < half; ++i) {
      int32_t* pa = layout == RopeLayout::kInterleaved ? row + 2 * i : row + i;
      int32_t* pb = layout == RopeLayout::kInterleaved ? row + 2 * i + 1 : row + i + half;
      const int64_t a = *pa;
      const int64_t b = *pb;
      const int64_t c = cos_q30[i];
      const int64_t s = sin_q30[i];
      *pa = SaturateToS32(RoundingShiftRight64(a * c - b * s, 30));
      *pb = SaturateToS32(RoundingShiftRight64(a * s + b * c, 30));
    }
  }
}

}  // namespace ingot::kernels::ref
